// What lands in the models folder cannot stall or poison the server (issue 24, items 2, 7 and 9): a file over
// --max-model-bytes is skipped by its size, unread; a file under it is read and checked off the event loop
// (timers keep firing meanwhile) and leaves no buffer behind; a model whose name or version breaks the
// repository API's name rule is skipped with the reason, the rest serve; answers name files relative to the
// models folder, never by the server's absolute path.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { ModelRegistry, type RegistryEvent } from '../src/host/registry.js';
import { DEFAULT_MAX_MODEL_BYTES } from '../src/onnx/model-file.js';
import { CLI } from './helpers/cli.js';
import { modelDir, rawFrames, serveApp, testModelBytes } from './helpers/models.js';
import { servedUrl } from './helpers/processes.js';

const MIB = 1024 * 1024;
const rows = () => testModelBytes({ kind: 'raw', name: 'rows', inputSize: 6 });
/** A sparse file of `bytes` zeros: no disk, but a reader that trusts it reads (and parses) them all. */
const sparse = (file: string, bytes: number) => {
  writeFileSync(file, '');
  truncateSync(file, bytes);
};
const reasonsByFile = (registry: ModelRegistry) =>
  Object.fromEntries(registry.skipped.map((s) => [s.file.slice(registry.dir.length + 1), s.reason]));

describe('a large file in the models folder', () => {
  it('over the default limit (256 MiB): skipped by its size, unread, with the numbers; the others serve', async () => {
    const dir = modelDir({ 'rows.onnx': rows() });
    try {
      sparse(join(dir, 'big.onnx'), DEFAULT_MAX_MODEL_BYTES + 1);
      const events: RegistryEvent[] = [];
      const registry = await ModelRegistry.load(dir, { device: 'cpu', threads: 1, onEvent: (e) => events.push(e) });
      try {
        assert.deepEqual(registry.names, ['rows']);
        const { 'big.onnx': reason } = reasonsByFile(registry);
        assert.match(reason, /^big\.onnx: 268435457 bytes \(256\.0 MiB\), more than the 268435456 bytes/);
        assert.match(reason, /a model file may have; not read \(indrnn serve --max-model-bytes sets the limit\)$/);
        assert.ok(
          events.some((e) => e.kind === 'skipped' && e.file === join(dir, 'big.onnx') && e.reason === reason),
          'the skip is told (and logged) with the full path',
        );
        const { arrayBuffers } = process.memoryUsage();
        assert.ok(arrayBuffers < 64 * MIB, `no buffer of the file kept: ${(arrayBuffers / MIB).toFixed(0)} MiB`);
      } finally {
        await registry.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('under the limit: read and checked off the event loop (timers fire while it is checked), then skipped; nothing kept', async () => {
    const dir = modelDir({ 'rows.onnx': rows() });
    const registry = await ModelRegistry.load(dir, { device: 'cpu', threads: 1 });
    try {
      sparse(join(dir, 'zeros.onnx'), 64 * MIB); // parsing 64 MiB of zeros takes the protobuf decoder ~0.5 s
      let ticks = 0;
      let checking = true;
      const tick = setInterval(() => {
        if (checking) ticks++;
      }, 5);
      try {
        await registry.refresh();
      } finally {
        checking = false;
        clearInterval(tick);
      }
      assert.ok(ticks >= 3, `the event loop turned ${ticks} times while the file was read and checked`);
      assert.match(reasonsByFile(registry)['zeros.onnx'], /^zeros\.onnx: not an ONNX model/);
      assert.deepEqual(registry.names, ['rows']);
      const { arrayBuffers } = process.memoryUsage();
      assert.ok(arrayBuffers < 32 * MIB, `the file's bytes stayed in the checking thread: ${arrayBuffers} bytes here`);
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maxModelBytes: a valid model over it is skipped by size; one under it serves', async () => {
    const small = rows();
    const big = testModelBytes({ kind: 'raw', name: 'wide', inputSize: 6, hiddenSize: 64 });
    assert.ok(big.length > small.length + 1000);
    const dir = modelDir({ 'rows.onnx': small, 'wide.onnx': big });
    const registry = await ModelRegistry.load(dir, { device: 'cpu', threads: 1, maxModelBytes: small.length });
    try {
      assert.deepEqual(registry.names, ['rows']);
      assert.equal(
        reasonsByFile(registry)['wide.onnx'].split(', more than')[0],
        `wide.onnx: ${big.length} bytes (${(big.length / MIB).toFixed(1)} MiB)`,
      );
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indrnn serve takes the limit from --max-model-bytes / INDRNN_MAX_MODEL_BYTES and logs the skip; a bad value stops it', async () => {
    const small = rows();
    const dir = modelDir({
      'rows.onnx': small,
      'wide.onnx': testModelBytes({ kind: 'raw', name: 'wide', inputSize: 6, hiddenSize: 64 }),
    });
    const env = { ...process.env, INDRNN_MODELS: dir, INDRNN_HOST: '127.0.0.1', INDRNN_PORT: '0' };
    try {
      const child = spawn(process.execPath, [CLI, 'serve', '--device', 'cpu', '--reload', 'off'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...env, INDRNN_MAX_MODEL_BYTES: `${small.length}` },
      });
      try {
        const served = servedUrl(child);
        const models = await (await fetch(`${await served.url}/v1/models`)).json();
        assert.deepEqual(
          models.models.map((m: { name: string }) => m.name),
          ['rows'],
        );
        const skipLine = served
          .output()
          .split('\n')
          .find((line) => line.includes('"msg":"model skipped"'));
        const skipped = JSON.parse(skipLine ?? '{}');
        assert.equal(skipped.file, join(dir, 'wide.onnx'));
        assert.match(skipped.reason, new RegExp(`more than the ${small.length} bytes`));
      } finally {
        child.kill('SIGKILL');
      }
      const bad = spawnSync(process.execPath, [CLI, 'serve'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...env, INDRNN_MAX_MODEL_BYTES: '3gb' },
      });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /INDRNN_MAX_MODEL_BYTES.*from 1 to 2gb/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('model names at load', () => {
  /** Flat files whose metadata name (or version) breaks the rule, and the one good model. */
  const BAD: Record<string, { name: string; version?: string; shown: string }> = {
    'passwd.onnx': { name: '../../etc/passwd', shown: '"../../etc/passwd"' },
    'proto.onnx': { name: '__proto__', shown: '"__proto__"' },
    'svg.onnx': { name: '<svg onload=alert(1)>', shown: '"<svg onload=alert(1)>"' },
    'newline.onnx': { name: 'a\n"b', shown: '"a\\n\\"b"' },
    'dot.onnx': { name: '.hidden', shown: '".hidden"' },
    'long.onnx': { name: 'x'.repeat(129), shown: `"${'x'.repeat(64)}..."` },
    'version.onnx': { name: 'fine', version: '1/../../x', shown: 'version "1/../../x"' },
  };

  it('a name or version against the repository rule is skipped with the reason; the rest serve and can be unloaded', async () => {
    const files: Record<string, Uint8Array> = {
      'rows.onnx': rows(),
      'constructor.onnx': testModelBytes({ kind: 'raw', name: 'constructor', inputSize: 6, seed: 2 }),
    };
    for (const [file, { name, version }] of Object.entries(BAD))
      files[file] = testModelBytes({ kind: 'raw', name, version, inputSize: 6 });
    const dir = modelDir(files);
    const s = await serveApp(dir, { options: { modelControl: 'explicit' } });
    try {
      assert.deepEqual(s.registry.names, ['constructor', 'rows']);
      const reasons = reasonsByFile(s.registry);
      assert.deepEqual(Object.keys(reasons).sort(), Object.keys(BAD).sort());
      for (const [file, { shown }] of Object.entries(BAD)) {
        assert.ok(reasons[file].startsWith(`${file}: `), reasons[file]);
        assert.ok(reasons[file].includes(shown), `${file}: ${reasons[file]} names ${shown}`);
        assert.match(
          reasons[file],
          /letters, digits, '_', '\.', '-'.*export it again with another --name or --version/,
        );
      }
      const listed = await request(s.app).get('/v1/models').expect(200);
      assert.deepEqual(
        listed.body.models.map((m: { name: string }) => m.name),
        ['constructor', 'rows'],
      );
      await request(s.app)
        .post('/v1/models/constructor/predict')
        .send({ frames: rawFrames(3, 6, 1) })
        .expect(200);
      // Every model served can be named in the repository API: unloaded, and loaded again.
      for (const name of s.registry.names) {
        await request(s.app).post(`/v2/repository/models/${name}/unload`).expect(200);
        await request(s.app).post(`/v2/repository/models/${name}/load`).expect(200);
      }
      assert.deepEqual(s.registry.names, ['constructor', 'rows']);
    } finally {
      await s.registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('paths in answers', () => {
  it('reasons in the repository index and load errors, and model files, are relative to the models folder', async () => {
    const dir = modelDir({ 'rows.onnx': rows(), 'broken.onnx': 'not a model' });
    const triton = (version: string) => join(dir, 'tri', version);
    mkdirSync(triton('1'), { recursive: true });
    writeFileSync(join(triton('1'), 'model.onnx'), testModelBytes({ kind: 'raw', name: 'any', inputSize: 4 }));
    const s = await serveApp(dir, { options: { modelControl: 'explicit' } });
    try {
      mkdirSync(triton('2'));
      writeFileSync(join(triton('2'), 'model.onnx'), 'not a model either');
      const failed = await request(s.app).post('/v2/repository/models/tri/load').expect(400);
      assert.match(failed.body.error, /still serving version 1\): tri\/2\/model\.onnx: not an ONNX model/);
      const index = await request(s.app).post('/v2/repository/index').expect(200);
      const reasons = Object.fromEntries(index.body.map((r: any) => [`${r.name}/${r.version ?? ''}`, r.reason]));
      assert.match(reasons['broken/'], /^broken\.onnx: not an ONNX model/);
      assert.match(reasons['tri/2'], /^tri\/2\/model\.onnx: not an ONNX model/);
      const info = await request(s.app).get('/v1/models/tri').expect(200);
      assert.equal(info.body.file, 'tri/1/model.onnx');
      for (const body of [failed.body, index.body, info.body])
        assert.ok(!JSON.stringify(body).includes(dir), `no absolute path in ${JSON.stringify(body)}`);
    } finally {
      await s.registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
