// The server side of the live page: GET / and its files (built by scripts/build-ui.ts, served from
// memory, gzipped, with the page's own CSP; off with ui: false), GET /v1/models/{name}/neurons (each
// layer's u equal to the weights the file was written from), and the streams' opt-in per-layer states
// (equal to the state hT of running the model directly over the same frames).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { buildUi, NODE_STUB_MARK, PAGE_FILES, uiBundleReachesNode } from '../scripts/build-ui.js';
import type { FoldedNetwork } from '../src/export/fold.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { timeConstant } from '../src/serve/routes/neurons.js';
import { DEFAULT_UI_DIR } from '../src/serve/routes/ui.js';
import type { RunningServer } from '../src/server.js';
import { modelDir, rawFrames, serveApp, testModel } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const RATE = { kind: 'rate', fps: 10, window: 8 };
const plain = testModel({ kind: 'raw', name: 'rows', seed: 2, inputSize: 6, depth: 3, hiddenSize: 12 });
const residual = testModel({ kind: 'skeleton', name: 'res', seed: 3, arch: 'residual', depth: 2 });

let dir: string;
before(() => {
  dir = modelDir({
    'rows.onnx': plain.bytes,
    'res.onnx': residual.bytes,
    'rate.onnx': { kind: 'skeleton', name: 'ratey', seed: 5, metadata: { sampling: JSON.stringify(RATE) } },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the page build', () => {
  it('bundles the page without any Node built-in and within its weight', async () => {
    const out = mkdtempSync(join(tmpdir(), 'indrnn-ui-'));
    try {
      const built = await buildUi(out);
      assert.equal(uiBundleReachesNode(out), false, `app.js contains "${NODE_STUB_MARK}"`);
      // The README states the weight; a page that grows past this should say why.
      assert.ok(built.gzipBytes < 64 * 1024, `page is ${built.gzipBytes} bytes gzipped`);
      const html = readFileSync(join(out, 'index.html'), 'utf8');
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'the page loads nothing from another origin');
      const demo = JSON.parse(readFileSync(join(out, 'demo.jsonl'), 'utf8'));
      assert.equal(demo.layout, 'ntu25');
      assert.equal(demo.frames.length, demo.frameLabels.length);
      assert.ok(demo.frameLabels.some((l: string | null) => l !== null));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the page code', () => {
  it('imports values only from src/ui, src/data (pure readers) and src/util; from the server, types only', () => {
    const files = readdirSync('src/ui', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 5);
    const wrong: string[] = [];
    for (const f of files) {
      const text = readFileSync(join('src/ui', f), 'utf8');
      for (const [, typeOnly, spec] of text.matchAll(/^import\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gms)) {
        // A package (no relative path) is bundled as a whole: none but through src/data.
        const target = spec.startsWith('.') ? normalize(join('src/ui', dirname(f), spec)) : spec;
        const inUi = target.startsWith('src/ui/');
        const inData = target.startsWith('src/data/') || target.startsWith('src/util/'); // node:* is stubbed, and checked
        if (!typeOnly && !inUi && !inData) wrong.push(`${f}: ${spec}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});

describe('GET / and /ui/{file}', () => {
  it('serves the page with its CSP, gzipped when accepted', async () => {
    const { app } = await serveApp(dir);
    const page = await request(app).get('/').set('accept-encoding', 'identity').expect(200);
    assert.match(page.headers['content-type'], /^text\/html/);
    // This origin only; WebAssembly compiles for the camera source's MediaPipe Pose (docs/mediapipe.md).
    assert.match(
      page.headers['content-security-policy'],
      /script-src 'self' 'wasm-unsafe-eval'; style-src 'self';.*connect-src 'self'/,
    );
    assert.equal(page.text, readFileSync(join(DEFAULT_UI_DIR, 'index.html'), 'utf8'));
    for (const f of PAGE_FILES.filter((f) => f !== 'index.html')) {
      const r = await request(app)
        .get(`/ui/${f}`)
        .set('accept-encoding', 'gzip')
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      assert.equal(r.headers['content-encoding'], 'gzip', f);
      // superagent inflates the body itself.
      assert.deepEqual(r.body, readFileSync(join(DEFAULT_UI_DIR, f)), f);
    }
    const missing = await request(app).get('/ui/secrets.txt').expect(404);
    assert.equal(missing.body.error.code, 'not_found');
    await request(app).get('/ui/..%2Fpackage.json').expect(404);
  });

  it('is off with ui: false, and says how to build it when it is not built', async () => {
    const off = await serveApp(dir, { options: { ui: false } });
    assert.equal((await request(off.app).get('/').expect(404)).body.error.code, 'not_found');
    const empty = mkdtempSync(join(tmpdir(), 'indrnn-noui-'));
    try {
      const unbuilt = await serveApp(dir, { options: { uiDir: empty } });
      const r = await request(unbuilt.app).get('/').expect(404);
      assert.match(r.body.error.message, /npm run build/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('is in the OpenAPI document with the neurons route', async () => {
    const { app } = await serveApp(dir);
    const doc = (await request(app).get('/openapi.json').expect(200)).body;
    for (const p of ['/', '/ui/{file}', '/v1/models/{name}/neurons']) assert.ok(doc.paths[p], p);
  });
});

describe('GET /v1/models/{name}/neurons', () => {
  it("gives each recurrent layer's u as written, in the state's layer order, with time constants", async () => {
    const { app } = await serveApp(dir);
    const us = (folded: FoldedNetwork) => folded.ops.flatMap((op) => (op.kind === 'recurrent' ? [op.u] : []));
    const expected = { rows: us(plain.folded), res: us(residual.folded) };
    for (const [name, us] of Object.entries(expected)) {
      const r = (await request(app).get(`/v1/models/${name}/neurons`).expect(200)).body;
      assert.equal(r.model, name);
      assert.equal(r.layers.length, us.length, name);
      r.layers.forEach((layer: { layer: number; u: number[]; timeConstant: (number | null)[] }, l: number) => {
        assert.equal(layer.layer, l);
        assert.deepEqual(layer.u, Array.from(us[l]), `${name} layer ${l}`);
        assert.deepEqual(layer.timeConstant, layer.u.map(timeConstant));
      });
    }
    const rate = (await request(app).get('/v1/models/ratey/neurons').expect(200)).body;
    assert.equal(rate.stepRate, 10);
    assert.equal((await request(app).get('/v1/models/nope/neurons').expect(404)).body.error.code, 'model_not_found');
  });

  it('time constant: steps for |u|^n to reach 1/e', () => {
    assert.ok(Math.abs(timeConstant(0.5)! - 1 / Math.LN2) < 1e-12);
    assert.ok(Math.abs(0.9 ** timeConstant(-0.9)! - Math.exp(-1)) < 1e-12);
    assert.equal(timeConstant(0), 0);
    assert.equal(timeConstant(1), null);
    assert.equal(timeConstant(-1.05), null);
  });

  it('needs the token like the rest of /v1; the page itself stays open', async () => {
    const { app } = await serveApp(dir, { options: { token: 's3cret' } });
    await request(app).get('/v1/models/rows/neurons').expect(401);
    await request(app).get('/v1/models/rows/neurons').set('authorization', 'Bearer s3cret').expect(200);
    await request(app).get('/').expect(200);
  });
});

describe('stream config layerStates', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startLoopbackServer(dir);
  });
  after(async () => {
    await srv.shutdown('test end');
  });
  const url = (name: string) => `${srv.url.replace('http', 'ws')}/v1/models/${name}/stream`;

  it("off by default; on, each prediction carries every layer's state, equal to running the model directly", async () => {
    const T = 6;
    const frames = rawFrames(T, 6, 9);
    const c = await StreamClient.open(url('rows'));
    assert.equal(c.messages[0].config.layerStates, false);
    c.send({ type: 'frames', frames: frames.slice(0, 2) });
    const [first] = await c.predictions(1);
    assert.equal('layers' in first, false);
    c.send({ type: 'config', layerStates: true });
    assert.equal((await c.until((m) => m.type === 'config')).config.layerStates, true);
    c.send({ type: 'frames', frames: frames.slice(2) });
    const preds = await c.predictions(T);
    c.close();
    const model = await IndrnnModel.load(join(dir, 'rows.onnx'), { provider: 'cpu', threads: 1 });
    const { num_layers: L, hidden_size: H } = model.metadata;
    for (let t = 2; t < T; t++) {
      const x = Float32Array.from(frames.slice(0, t + 1).flat());
      const { hT } = await model.run(x, t + 1, 1);
      const layers = preds[t].layers as number[][];
      assert.equal(layers.length, L);
      for (let l = 0; l < L; l++) {
        assert.equal(layers[l].length, H);
        for (let i = 0; i < H; i++) {
          assert.ok(Math.abs(layers[l][i] - hT[l * H + i]) < 1e-5, `frame ${t} layer ${l} neuron ${i}`);
        }
      }
    }
    await model.release();
  });

  it('rate models: the chosen state, [L][H]; a wrong type names the field', async () => {
    const c = await StreamClient.open(url('ratey'));
    c.send({ type: 'config', layerStates: 'yes' });
    const err = await c.until((m) => m.type === 'error');
    assert.equal(err.code, 'invalid_message');
    assert.equal(err.field, 'layerStates');
    c.send({ type: 'config', layerStates: true });
    await c.until((m) => m.type === 'config');
    const frame = Array.from({ length: 25 }, (_, j) => [0.1 * j, 0.05 * j, 3]);
    c.send({ type: 'frames', frames: Array.from({ length: 9 }, () => frame) });
    const [p] = await c.predictions(1);
    c.close();
    assert.equal(p.layers.length, 2);
    assert.ok(p.layers.every((h: number[]) => h.length === 16 && h.every((v) => v >= 0)));
  });
});
