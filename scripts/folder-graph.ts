// The import graph between the top-level folders of src/ (src/cli.ts counts as cli), read from the
// relative import and export specifiers of every .ts file, and its cycles.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scriptArgs } from './script-args.js';

/** folder -> folders it imports (itself excluded). */
export type FolderGraph = Map<string, Set<string>>;

const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;

function folderOf(srcDir: string, file: string): string {
  return relative(srcDir, file).split(/[\\/]/)[0].replace(/\.ts$/, '');
}

/** The import graph of the .ts files under srcDir, each node named by `nodeOf(srcDir, file)`. */
function importGraph(srcDir: string, nodeOf: (srcDir: string, file: string) => string): FolderGraph {
  const graph: FolderGraph = new Map();
  const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const name of files) {
    const file = join(srcDir, name);
    const from = nodeOf(srcDir, file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const to = nodeOf(srcDir, resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      if (to !== from && !to.startsWith('..')) edges.add(to); // '..': outside src/
    }
  }
  return graph;
}

export const folderGraph = (srcDir: string): FolderGraph => importGraph(srcDir, folderOf);

/** file (path under srcDir) -> files it imports, type-only imports included: a cycle of types is a cycle too. */
export const fileGraph = (srcDir: string): FolderGraph =>
  importGraph(srcDir, (dir, file) => relative(dir, file).split(sep).join('/'));

/** The strongly connected components with more than one folder (Tarjan), each sorted, sorted by name. */
export function cycles(graph: FolderGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { positionals } = scriptArgs({
    name: 'folder-graph',
    about: 'print the import graph between the top-level folders of src/ and its cycles; exit status 1 on a cycle',
    positionals: { usage: '[SRC_DIR]', min: 0, max: 1 },
    options: {},
    examples: ['node dist/scripts/folder-graph.js src'],
  });
  const graph = folderGraph(positionals[0] ?? 'src');
  for (const [from, to] of [...graph].sort()) process.stdout.write(`${from} -> ${[...to].sort().join(', ')}\n`);
  const found = cycles(graph);
  for (const c of found) process.stdout.write(`cycle: ${c.join(' <-> ')}\n`);
  process.exitCode = found.length ? 1 : 0;
}
