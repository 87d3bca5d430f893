// The model registry: valid models load, corrupt or mismatching files are reported by name and skipped,
// no valid model is a clear startup error, and the execution provider choice (CUDA where it is available).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelRegistry, type RegistryEvent, StartupError } from '../src/host/registry.js';
import { CLI } from './helpers/cli.js';
import { CUDA_AVAILABLE, modelDir, testModelBytes } from './helpers/models.js';

describe('ModelRegistry.load', () => {
  it('loads the valid models and skips, by name, a corrupt file, a foreign ONNX file, bad metadata and a duplicate', async () => {
    const good = testModelBytes({ kind: 'skeleton', name: 'skel' });
    const dir = modelDir({
      'a-good.onnx': good,
      'b-corrupt.onnx': good.slice(0, 200),
      'c-text.onnx': 'this is not a model',
      'd-joints.onnx': { kind: 'skeleton', name: 'other', metadata: { joints: '17' } },
      'e-duplicate.onnx': { kind: 'raw', name: 'skel' },
      'f-raw.onnx': { kind: 'raw', name: 'rows' },
      'notes.txt': 'ignored: not .onnx',
    });
    const events: RegistryEvent[] = [];
    const registry = await ModelRegistry.load(dir, { device: 'cpu', threads: 1, onEvent: (e) => events.push(e) });
    try {
      assert.deepEqual(registry.names.sort(), ['rows', 'skel']);
      const skipped: Record<string, string> = Object.fromEntries(
        registry.skipped.map((s) => [s.file.split('/').pop() ?? '', s.reason]),
      );
      assert.deepEqual(Object.keys(skipped).sort(), [
        'b-corrupt.onnx',
        'c-text.onnx',
        'd-joints.onnx',
        'e-duplicate.onnx',
      ]);
      for (const [file, reason] of Object.entries(skipped))
        assert.ok(reason.startsWith(`${file}: `) && !reason.includes(dir), `${file}: ${reason}`);
      assert.match(skipped['d-joints.onnx'], /metadata joints 17 does not match its preprocessing \(25\)/);
      assert.match(skipped['e-duplicate.onnx'], /already served from .*a-good\.onnx/);
      assert.equal(events.filter((e) => e.kind === 'loaded').length, 2);
      assert.equal(events.filter((e) => e.kind === 'skipped').length, 4);
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no valid model is a StartupError listing every skipped file; a missing directory says what to do', async () => {
    const dir = modelDir({ 'x.onnx': 'garbage' });
    try {
      await assert.rejects(
        ModelRegistry.load(dir, { device: 'cpu' }),
        (e: unknown) =>
          e instanceof StartupError && /no valid model in/.test(e.message) && e.message.includes('x.onnx'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(ModelRegistry.load('/nonexistent/models', { device: 'cpu' }), /does not exist.*--models DIR/);
  });

  it('--models may name one .onnx file: that model alone is served, and reloaded when the file changes', async () => {
    const dir = modelDir({ 'one.onnx': { kind: 'raw', name: 'rows' }, 'other.onnx': { kind: 'raw', name: 'cols' } });
    const file = join(dir, 'one.onnx');
    const registry = await ModelRegistry.load(file, { device: 'cpu', threads: 1 });
    try {
      assert.deepEqual(registry.names, ['rows']);
      assert.equal(registry.get('rows')!.info.file, 'one.onnx', 'named as in a directory: relative to it');
      writeFileSync(file, 'no longer a model');
      await registry.refresh();
      assert.deepEqual(registry.names, ['rows'], 'a changed file that does not load leaves its model serving');
      assert.deepEqual(
        registry.skipped.map((s) => s.reason.split(':')[0]),
        ['one.onnx'],
      );
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--device cuda without CUDA fails loudly; auto falls back to CPU with a reason', {
    skip: CUDA_AVAILABLE && 'CUDA is available here',
  }, async () => {
    const dir = modelDir({ 'm.onnx': { kind: 'raw', name: 'rows' } });
    try {
      await assert.rejects(
        ModelRegistry.load(dir, { device: 'cuda', threads: 1 }),
        (e: unknown) => e instanceof StartupError && /cuda/i.test(e.message),
      );
      const events: RegistryEvent[] = [];
      const registry = await ModelRegistry.load(dir, { device: 'auto', threads: 1, onEvent: (e) => events.push(e) });
      assert.equal(registry.get('rows')!.info.provider, 'cpu');
      const fallback = events.find((e) => e.kind === 'fallback');
      assert.ok(
        fallback && fallback.kind === 'fallback' && /CUDA/.test(fallback.reason),
        'the fallback reason is told',
      );
      await registry.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--device cuda and auto serve on CUDA where it is available', {
    skip: !CUDA_AVAILABLE && 'no CUDA here',
  }, async () => {
    const dir = modelDir({ 'm.onnx': { kind: 'raw', name: 'rows' } });
    try {
      for (const device of ['cuda', 'auto'] as const) {
        const events: RegistryEvent[] = [];
        const registry = await ModelRegistry.load(dir, { device, threads: 1, onEvent: (e) => events.push(e) });
        assert.equal(registry.get('rows')!.info.provider, 'cuda', device);
        assert.equal(events.filter((e) => e.kind === 'fallback').length, 0, device);
        await registry.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indrnn serve without a model exits 1 with the startup error', () => {
    const dir = modelDir({});
    try {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--models', dir, '--port', '0'], {
        encoding: 'utf8',
        env: { ...process.env, INDRNN_NO_REEXEC: '1' },
      });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /no valid model in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
