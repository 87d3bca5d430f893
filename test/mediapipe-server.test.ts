// `"layout": "mediapipe33"` for a model of another layout: the server converts MediaPipe landmarks with the
// same module as everyone else (src/data/mediapipe.ts), so that HTTP predict, a stream (JSON and binary
// frames) and `indrnn predict --layout` give exactly the answer of the frames converted beforehand; and
// `indrnn data build --to-layout` converts MediaPipe recordings into a Kinect-layout cache.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDataset } from '../src/data/cache.js';
import { type MediapipeTarget, mediapipeFramesTo } from '../src/data/mediapipe.js';
import { mediapipePosePackage } from '../src/serve/routes/camera.js';
import type { RunningServer } from '../src/server.js';
import { indrnn } from './helpers/cli.js';
import { mediapipeFrames } from './helpers/mediapipe-pose.js';
import { modelDir } from './helpers/models.js';
import { postPredict, startLoopbackServer } from './helpers/server.js';
import { f32, StreamClient } from './helpers/stream.js';

const NUCLA = join(import.meta.dirname, '..', '..', 'models', 'nucla.onnx');
const RATE = { kind: 'rate', fps: 10, window: 8 };

/** [T][33][3] (one body) or [T][B][33][3] -> the same frames converted, as nested arrays. */
function converted(frames: number[][][] | number[][][][], target: MediapipeTarget): unknown[] {
  const multi = Array.isArray(frames[0][0][0]);
  const bodies = (multi ? frames : frames.map((f) => [f])) as number[][][][];
  const T = bodies.length;
  const B = bodies[0].length;
  const out = mediapipeFramesTo(target, Float32Array.from(bodies.flat(3)), T, B);
  const J = out.length / (T * B * 3);
  const nested = Array.from({ length: T }, (_, t) =>
    Array.from({ length: B }, (_, b) =>
      Array.from({ length: J }, (_, j) =>
        Array.from(out.subarray(((t * B + b) * J + j) * 3, ((t * B + b) * J + j + 1) * 3)),
      ),
    ),
  );
  return multi ? nested : nested.map((f) => f[0]);
}

let dir: string;
let srv: RunningServer;
let ws: string;
before(async () => {
  dir = modelDir({
    'nucla.onnx': readFileSync(NUCLA),
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 1 },
    'rate.onnx': { kind: 'skeleton', name: 'ratey', seed: 5, metadata: { sampling: JSON.stringify(RATE) } },
    'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
  });
  srv = await startLoopbackServer(dir, { batch: { maxBatch: 32, maxDelayMs: 0, maxQueue: 1024 } });
  ws = srv.url.replace('http', 'ws');
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

const post = (model: string, body: unknown) => postPredict(srv.url, model, body);

async function predict(model: string, body: unknown): Promise<any> {
  const r = await post(model, body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.predictions[0];
}

describe('HTTP predict with "layout": "mediapipe33"', () => {
  it('nucla (kinect20): the same answer as the frames converted beforehand', async () => {
    const frames = mediapipeFrames(45, 1);
    const direct = await predict('nucla', { frames, layout: 'mediapipe33', topK: 10 });
    const mapped = await predict('nucla', { frames: converted(frames, 'kinect20'), topK: 10 });
    assert.deepEqual(direct, mapped);
    const own = await predict('nucla', { frames: converted(frames, 'kinect20'), layout: 'kinect20', topK: 10 });
    assert.deepEqual(own, mapped, "the model's own layout named: nothing converted");
  });

  it('an ntu25 model of 2 bodies: one body or two, each converted', async () => {
    const one = mediapipeFrames(30, 2);
    assert.deepEqual(
      await predict('skel', { frames: one, layout: 'mediapipe33', topK: 5 }),
      await predict('skel', { frames: converted(one, 'ntu25'), topK: 5 }),
    );
    const other = mediapipeFrames(30, 3);
    const two = one.map((f, t) => [f, other[t].map(([x, y, z]) => [x + 0.8, y, z])]);
    assert.deepEqual(
      await predict('skel', { sequences: [{ frames: two }], layout: 'mediapipe33', topK: 5 }),
      await predict('skel', { sequences: [{ frames: converted(two, 'ntu25') }], topK: 5 }),
    );
  });

  it('a binary body (float32, ?layout=mediapipe33) answers as JSON does', async () => {
    const frames = mediapipeFrames(30, 9);
    const r = await fetch(`${srv.url}/v1/models/nucla/predict?layout=mediapipe33&topK=10`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-frames-shape': `${frames.length},33,3` },
      body: new Uint8Array(f32(frames.flat(2))),
    });
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.deepEqual(body.predictions[0], await predict('nucla', { frames, layout: 'mediapipe33', topK: 10 }));
  });

  it('refuses a layout it cannot convert, a layout for a model without one, and frames of the wrong size', async () => {
    const frames = mediapipeFrames(10, 4);
    let r = await post('nucla', { frames, layout: 'coco17' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_field');
    assert.equal(r.body.error.details.field, 'layout');
    assert.match(
      r.body.error.message,
      /no conversion from "coco17" to the model's layout kinect20.*mediapipe33 -> kinect20, ntu25/,
    );
    r = await post('rows', { frames: [[1, 2, 3, 4, 5, 6]], layout: 'mediapipe33' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details.field, 'layout');
    r = await post('nucla', { frames: converted(frames, 'kinect20'), layout: 'mediapipe33' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_shape');
    assert.equal(r.body.error.details.field, 'frames[0]');
    assert.match(r.body.error.message, /20 joints.*33 \(layout mediapipe33\)/);
    r = await post('nucla', { frames, layout: 'x'.repeat(65) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details.field, 'layout');
  });

  it('`indrnn predict --layout mediapipe33` answers as HTTP does', async () => {
    const frames = mediapipeFrames(40, 5);
    const tmp = mkdtempSync(join(tmpdir(), 'indrnn-mp-'));
    try {
      const input = join(tmp, 'mp.json');
      writeFileSync(input, JSON.stringify({ frames }));
      const cli = indrnn('predict', '--model', join(dir, 'nucla.onnx'), '--input', input, '--layout', 'mediapipe33');
      assert.equal(cli.status, 0, cli.stderr);
      const http = await predict('nucla', { frames, layout: 'mediapipe33' });
      const got = JSON.parse(cli.stdout);
      assert.equal(got.label, http.label);
      assert.ok(Math.abs(got.probability - http.probability) < 1e-4);
      const bad = indrnn('predict', '--model', join(dir, 'nucla.onnx'), '--input', input, '--layout', 'openpose18');
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /--layout: no conversion from "openpose18"/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('streams with {"type": "config", "layout": "mediapipe33"}', () => {
  /** Every prediction of a stream fed one frame per message (JSON), or all frames in one binary message. */
  async function stream(model: string, frames: unknown[], layout?: string, binary?: Float32Array): Promise<any[]> {
    const c = await StreamClient.open(`${ws}/v1/models/${model}/stream`);
    c.send(layout ? { type: 'config', topK: 5, layout } : { type: 'config', topK: 5 });
    const ack = await c.until((m) => m.type === 'config');
    assert.equal(ack.config.layout, layout ?? 'ntu25');
    if (binary) c.send(f32(binary));
    else for (const f of frames) c.send({ type: 'frames', frames: [f] });
    const ready = c.messages[0];
    const n = ready.stepRate ? Math.floor(((frames.length - 1) * ready.stepRate) / 30 + 1e-9) + 1 : frames.length;
    const preds = await c.predictions(n);
    c.close();
    return preds;
  }

  it("gives the predictions of the converted frames, JSON or binary, and HTTP's at the end", async () => {
    const frames = mediapipeFrames(36, 6);
    for (const model of ['skel', 'ratey']) {
      const mapped = await stream(model, converted(frames, 'ntu25'));
      assert.deepEqual(await stream(model, frames, 'mediapipe33'), mapped, `${model}: JSON frames`);
      // Binary: B x 33 x 3 float32 per frame, the second body absent (zeros).
      const bin = new Float32Array(frames.length * 2 * 99);
      frames.forEach((f, t) => {
        bin.set(f.flat(), t * 198);
      });
      assert.deepEqual(await stream(model, frames, 'mediapipe33', bin), mapped, `${model}: binary frames`);
      const http = await predict(model, { frames, layout: 'mediapipe33', topK: 5 });
      const last = mapped.at(-1);
      assert.equal(last.label, http.label, model);
      assert.ok(
        Math.abs(last.probability - http.probability) < 1e-4,
        `${model}: ${last.probability} vs ${http.probability}`,
      );
    }
  });

  it('refuses a layout it cannot convert, naming the field, and keeps reading frames as before', async () => {
    const c = await StreamClient.open(`${ws}/v1/models/skel/stream`);
    c.send({ type: 'config', layout: 'coco17', topK: 2 });
    const err = await c.until((m) => m.type === 'error');
    assert.equal(err.field, 'layout');
    assert.equal(err.code, 'invalid_message');
    c.send({ type: 'config' });
    const ack = await c.until((m) => m.type === 'config');
    assert.equal(ack.config.layout, 'ntu25');
    assert.equal(ack.config.topK, 5, 'nothing of the refused config was applied');
    c.send({ type: 'config', layout: 'mediapipe33' });
    await c.until((m) => m.type === 'config' && m.config.layout === 'mediapipe33');
    c.send({ type: 'frames', frames: converted(mediapipeFrames(1, 7), 'ntu25') });
    const shape = await c.until((m) => m.type === 'error' && m.code === 'invalid_shape');
    assert.match(shape.message, /25 joints.*33 \(layout mediapipe33\)/);
    c.send(f32(new Float32Array(150)));
    const size = await c.until((m) => m.type === 'error' && /binary payload/.test(m.message));
    assert.match(size.message, /whole frames of 198 floats \(2 bodies x 33 joints x 3 floats per joint\)/);
    c.close();
  });
});

describe('indrnn data build --to-layout', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'indrnn-mp-build-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const samples = [0, 1, 2, 3].map((i) => ({
    id: `rec-${i}`,
    label: i % 2 ? 'wave' : 'still',
    layout: 'mediapipe33',
    subject: i + 1,
    fps: 30,
    frames: mediapipeFrames(12 + i, 10 + i),
    visibility: Array.from({ length: 12 + i }, () => Array(33).fill(0.9)),
  }));
  const jsonl = join(tmp, 'recordings.jsonl');
  writeFileSync(jsonl, `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);

  it('trains MediaPipe recordings directly (a mediapipe33 cache) or converts them (kinect20, ntu25)', () => {
    const own = join(tmp, 'mp.cache');
    let r = indrnn('data', 'build', '--jsonl', jsonl, '--out', own, '--float32');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([openDataset(own).layout, openDataset(own).joints], ['mediapipe33', 33]);
    for (const target of ['kinect20', 'ntu25'] as const) {
      const out = join(tmp, `${target}.cache`);
      r = indrnn('data', 'build', '--jsonl', jsonl, '--to-layout', target, '--out', out, '--float32');
      assert.equal(r.status, 0, r.stderr);
      const ds = openDataset(out);
      assert.deepEqual([ds.layout, ds.count, ds.bodies], [target, 4, 1]);
      for (let i = 0; i < 4; i++) {
        const want = mediapipeFramesTo(
          target,
          Float32Array.from(samples[i].frames.flat(2)),
          samples[i].frames.length,
          1,
        );
        assert.deepEqual(Array.from(ds.raw(i)), Array.from(want), `${target} sample ${i}`);
      }
    }
  });

  it('refuses a conversion it does not have and samples of another layout', () => {
    let r = indrnn('data', 'build', '--jsonl', jsonl, '--to-layout', 'coco17', '--out', join(tmp, 'x.cache'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--to-layout coco17: no conversion to it \(conversions: mediapipe33 -> kinect20, ntu25\)/);
    const other = join(tmp, 'other.jsonl');
    writeFileSync(other, `${JSON.stringify({ label: 'x', layout: 'coco17', frames: [Array(17).fill([0, 1, 2])] })}\n`);
    r = indrnn('data', 'build', '--jsonl', other, '--to-layout', 'kinect20', '--out', join(tmp, 'y.cache'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /layout: coco17, but --to-layout converts mediapipe33 samples only/);
  });
});

describe('GET /camera and MediaPipe Pose files', () => {
  const version = mediapipePosePackage()?.version;

  it("serves the camera page with the pages' CSP (this origin, plus WebAssembly)", async () => {
    const r = await fetch(`${srv.url}/camera`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(
      r.headers.get('content-security-policy') ?? '',
      /script-src 'self' 'wasm-unsafe-eval';.*connect-src 'self'/,
    );
    assert.match(await r.text(), /video never leaves this browser/);
  });

  it('serves the listed files of the installed @mediapipe/pose, typed and cached for good, and nothing else', async () => {
    assert.ok(version, '@mediapipe/pose is installed (a dependency)');
    const base = `${srv.url}/mediapipe/pose/${version}`;
    const js = await fetch(`${base}/pose.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const wasm = await fetch(`${base}/pose_solution_simd_wasm_bin.wasm`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.equal(wasm.headers.get('content-encoding'), null, 'sent as it is, not gzipped anew per request');
    const pkg = mediapipePosePackage()!;
    assert.equal(
      (await wasm.arrayBuffer()).byteLength,
      statSync(join(pkg.dir, 'pose_solution_simd_wasm_bin.wasm')).size,
      'the whole file',
    );
    for (const [path, field] of [
      [`/mediapipe/pose/0.0.1/pose.js`, 'have'],
      [`/mediapipe/pose/${version}/package.json`, 'files'],
      [`/mediapipe/pose/${version}/..%2Fpackage.json`, 'files'],
    ]) {
      const r = await fetch(`${srv.url}${path}`);
      assert.equal(r.status, 404, path);
      const body = await r.json();
      assert.equal(body.error.code, 'not_found');
      assert.ok(field in body.error.details, `${path}: ${JSON.stringify(body.error.details)}`);
    }
  });
});
