// The folders of src/ depend on each other in one direction (the order in the README's "How it is
// built"): an import against it, or a cycle, fails.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cycles, fileGraph, folderGraph } from '../scripts/folder-graph.js';

/** Lowest first: a folder imports only folders of lower layers (src/server.ts counts as `server`). */
// Folders of one layer do not import each other: the training side (nn, export, train) and the serving
// side (onnx, predict, host, serve, stream) meet only in data, util and the ONNX file between them.
const LAYERS = [
  ['util'],
  ['data', 'nn', 'onnx'], // onnx: loading and running exported models (sessions, worker pool, metadata)
  ['export', 'predict'], // export: a network folded and written as the ONNX contract's Loop graph
  ['train', 'host'],
  ['serve', 'stream'],
  ['ui'], // the browser page: pure src/data code, and types only from host, serve and stream
  ['server'],
  ['cli'],
];

describe('folder dependencies', () => {
  const graph = folderGraph('src');

  it('every folder of src/ has its layer', () => {
    assert.deepEqual([...graph.keys()].sort(), LAYERS.flat().sort());
  });

  it('imports point down the layers', () => {
    const layer = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));
    const against = [...graph].flatMap(([from, to]) =>
      [...to].filter((t) => layer.get(t)! >= layer.get(from)!).map((t) => `${from} -> ${t}`),
    );
    assert.deepEqual(against, []);
    assert.deepEqual(cycles(graph), []);
  });

  it('no two files import each other, directly or around a loop (type-only imports count)', () => {
    assert.deepEqual(cycles(fileGraph('src')), []);
  });

  it('finds the imports and the cycles of a tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'folders-'));
    try {
      for (const d of ['a', 'b', 'c']) mkdirSync(join(dir, d));
      writeFileSync(join(dir, 'a', 'x.ts'), "import { y } from '../b/y.js';\nexport type { Z } from '../c/z.js';\n");
      writeFileSync(join(dir, 'b', 'y.ts'), "export const y = () => import('../a/x.js');\n");
      writeFileSync(join(dir, 'c', 'z.ts'), "import 'node:fs';\nimport type { W } from './w.js';\n");
      writeFileSync(join(dir, 'main.ts'), "import '../outside.js';\nimport './c/z.js';\n");
      const g = folderGraph(dir);
      assert.deepEqual(Object.fromEntries([...g].map(([k, v]) => [k, [...v].sort()])), {
        a: ['b', 'c'],
        b: ['a'],
        c: [],
        main: ['c'],
      });
      assert.deepEqual(cycles(g), [['a', 'b']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
