// A 2D model (penn13) takes points as pose estimators give them: binary stream frames of 2 floats per
// joint (x, y; the default of a 2D model's stream) or 3 (x, y, score) once the config says "channels": 3,
// with the same answers as the whole sequence over HTTP; a payload that does not fit is refused naming the
// floats per joint it expected. A point's score below minScore (default 0.3, a bounded option of HTTP
// predict, binary predict, streams and `indrnn predict`) makes it missing, exactly as (0, 0) does.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MIN_SCORE } from '../src/predict/point-options.js';
import type { RunningServer } from '../src/server.js';
import { indrnn } from './helpers/cli.js';
import { bodyAt, frameIn } from './helpers/keypoint-body.js';
import { modelDir, skeletonFrames } from './helpers/models.js';
import { postPredict, startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const T = 61;
const WAIT = 60_000;
/** The clip in penn13 pixels: [T][13][2]. */
const PENN = Array.from({ length: T }, (_, t) => frameIn('penn13', bodyAt(t)));
const COCO = Array.from({ length: T }, (_, t) => frameIn('coco17', bodyAt(t)));
/** COCO-17 wrists and ankles: the points a test scores low. */
const DOUBTFUL = new Set([9, 10, 15, 16]);

let dir: string;
let srv: RunningServer;
let ws: string;
before(async () => {
  dir = modelDir({
    'penn.onnx': { kind: 'skeleton', name: 'penn', layout: 'penn13', seed: 3, classes: 15 },
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 4 },
  });
  srv = await startLoopbackServer(dir);
  ws = srv.url.replace('http', 'ws');
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

async function predict(body: Record<string, unknown>): Promise<{ label: string; probability: number; topK: any[] }> {
  const r = await postPredict(srv.url, 'penn', { topK: 15, ...body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.predictions[0];
}

async function postBinary(model: string, body: Buffer, shape: string | null, query = '') {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (shape) headers['x-frames-shape'] = shape;
  const r = await fetch(`${srv.url}/v1/models/${model}/predict${query}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

/** The same ranking, probabilities equal up to float rounding (a stream runs frame by frame). */
function sameAnswer(got: { topK: any[] }, want: { topK: any[] }, what: string) {
  assert.deepEqual(
    got.topK.map((s) => s.label),
    want.topK.map((s) => s.label),
    what,
  );
  for (let k = 0; k < want.topK.length; k++)
    assert.ok(Math.abs(got.topK[k].probability - want.topK[k].probability) < 1e-4, `${what}: rank ${k}`);
}

/** Streams `frames` to penn as binary messages of `chunk` frames; the prediction after the last frame. */
async function streamBinary(
  frames: number[][][],
  chunk: number,
  config: Record<string, unknown> | null,
): Promise<{ ready: any; last: any; client: StreamClient }> {
  const client = await StreamClient.open(`${ws}/v1/models/penn/stream`);
  const ready = client.messages[0];
  if (config) {
    client.send({ type: 'config', topK: 15, ...config });
    await client.until((m) => m.type === 'config' || m.type === 'error', WAIT);
  } else {
    client.send({ type: 'config', topK: 15 });
    await client.until((m) => m.type === 'config', WAIT);
  }
  for (let t = 0; t < frames.length; t += chunk) client.send(f32(frames.slice(t, t + chunk).flat(2)));
  const preds = await client.predictions(frames.length, WAIT);
  return { ready, last: preds.at(-1), client };
}

describe('binary stream frames of a 2D model', () => {
  it('carry 2 floats per joint by default: chunks of 30 (and 7) answer as the whole sequence over HTTP', async () => {
    const want = await predict({ frames: PENN });
    for (const chunk of [30, 7]) {
      const { ready, last, client } = await streamBinary(PENN, chunk, null);
      assert.equal(ready.frameSize, 13 * 2, 'ready says 13 joints x 2 floats');
      assert.equal(ready.config.channels, 2);
      assert.equal(ready.config.minScore, DEFAULT_MIN_SCORE);
      assert.equal(last.frame, T - 1, 'every frame read as one frame');
      assert.equal(client.messages.filter((m) => m.type === 'error').length, 0);
      sameAnswer(last, want, `chunks of ${chunk}`);
      client.close();
    }
  });

  it('"channels": 3 reads [x, y, score]: scores below minScore make points missing, as over HTTP', async () => {
    const scored = COCO.map((f) => f.map(([x, y], j) => [x, y, DOUBTFUL.has(j) ? 0.2 : 0.9]));
    const want = await predict({ frames: scored, layout: 'coco17' });
    const client = await StreamClient.open(`${ws}/v1/models/penn/stream`);
    client.send({ type: 'config', topK: 15, layout: 'coco17', channels: 3 });
    const ack = await client.until((m) => m.type === 'config', WAIT);
    assert.equal(ack.frameSize, 17 * 3);
    assert.equal(ack.config.channels, 3);
    for (let t = 0; t < T; t += 30) client.send(f32(scored.slice(t, t + 30).flat(2)));
    const last = (await client.predictions(T, WAIT)).at(-1);
    sameAnswer(last, want, 'stream vs HTTP');
    client.close();
  });

  it('a payload that does not fit is refused naming the floats per joint and the count expected', async () => {
    // 31 frames of (x, y) pairs to a stream that was told 3 floats per joint.
    const client = await StreamClient.open(`${ws}/v1/models/penn/stream`);
    client.send({ type: 'config', channels: 3 });
    await client.until((m) => m.type === 'config', WAIT);
    client.send(f32(PENN.slice(0, 31).flat(2)));
    const e = await client.until((m) => m.type === 'error', WAIT);
    assert.equal(e.code, 'invalid_shape');
    assert.equal(e.field, '(body)');
    assert.equal(
      e.message,
      'the binary payload has 806 floats, expected whole frames of 39 floats (1 body x 13 joints x 3 floats per joint); ' +
        '2D frames carry 2 (x, y) or 3 (x, y, score) floats per joint',
    );
    client.close();

    // A 3D model's frames are 3 floats per joint, and its stream says so when pairs come.
    const skel = await StreamClient.open(`${ws}/v1/models/skel/stream`);
    assert.equal(skel.messages[0].frameSize, 2 * 25 * 3);
    skel.send(f32(new Array(31 * 2 * 25 * 2).fill(0.5)));
    const e3 = await skel.until((m) => m.type === 'error', WAIT);
    assert.match(
      e3.message,
      /3100 floats, expected whole frames of 150 floats \(2 bodies x 25 joints x 3 floats per joint\)$/,
    );
    skel.close();
  });

  it('channels and minScore are bounded to the model: a refused config changes nothing', async () => {
    const skel = await StreamClient.open(`${ws}/v1/models/skel/stream`);
    for (const [config, field, message] of [
      [
        { channels: 2 },
        'channels',
        /^channels: 2 floats per joint \(x, y\) are for 2D models; the model takes 3D joints/,
      ],
      [{ minScore: 0.5 }, 'minScore', /^minScore: only 2D models read a score per point/],
    ] as const) {
      const at = skel.messages.length;
      skel.send({ type: 'config', topK: 3, ...config });
      const e = await skel.until((m) => m.type === 'error', WAIT, at);
      assert.equal(e.code, 'invalid_message');
      assert.equal(e.field, field);
      assert.match(e.message, message);
    }
    skel.send({ type: 'config' });
    const ack = await skel.until((m) => m.type === 'config', WAIT);
    assert.equal(ack.config.topK, 5, 'the refused configs changed nothing');
    assert.equal(ack.config.channels, 3);
    assert.equal(ack.config.minScore, null);
    skel.close();

    const penn = await StreamClient.open(`${ws}/v1/models/penn/stream`);
    for (const config of [{ channels: 4 }, { minScore: 1.5 }, { minScore: -0.1 }]) {
      const at = penn.messages.length;
      penn.send({ type: 'config', ...config });
      const e = await penn.until((m) => m.type === 'error', WAIT, at);
      assert.equal(e.field, Object.keys(config)[0]);
    }
    penn.close();
  });
});

describe('scores per point', () => {
  const scored = (low: number) => COCO.map((f) => f.map(([x, y], j) => [x, y, DOUBTFUL.has(j) ? low : 0.95]));
  const zeroed = COCO.map((f) => f.map(([x, y], j) => (DOUBTFUL.has(j) ? [0, 0] : [x, y])));

  it('HTTP: a point scored below the default 0.3 is missing, as (0, 0); minScore lowers the bar', async () => {
    const kept = await predict({ frames: COCO, layout: 'coco17' });
    const missing = await predict({ frames: zeroed, layout: 'coco17' });
    assert.notDeepEqual(missing.topK, kept.topK, 'the test points matter to the model');
    assert.deepEqual(await predict({ frames: scored(0.29), layout: 'coco17' }), missing, 'scored 0.29');
    assert.deepEqual(await predict({ frames: scored(0.3), layout: 'coco17' }), kept, 'scored 0.3');
    assert.deepEqual(await predict({ frames: scored(0.29), layout: 'coco17', minScore: 0.1 }), kept, 'minScore 0.1');
    assert.deepEqual(await predict({ frames: scored(0.5), layout: 'coco17', minScore: 0.6 }), missing, 'minScore 0.6');
    // The model's own layout: a missing point is (0, 0) there too.
    const penn = PENN.map((f) => f.map(([x, y], j) => [x, y, j === 5 ? 0.1 : 1]));
    const pennZeroed = PENN.map((f) => f.map(([x, y], j) => (j === 5 ? [0, 0] : [x, y])));
    assert.deepEqual(await predict({ frames: penn }), await predict({ frames: pennZeroed }));
  });

  it('binary predict reads the score as JSON does, minScore from the query', async () => {
    const frames = scored(0.2);
    const body = f32(frames.flat(2));
    for (const q of ['', '?minScore=0.1']) {
      const json = await postPredict(srv.url, 'penn', {
        frames,
        layout: 'coco17',
        ...(q ? { minScore: 0.1 } : {}),
      });
      const bin = await postBinary('penn', body, `${T},17,3`, `?layout=coco17${q.replace('?', '&')}`);
      assert.equal(bin.status, 200, JSON.stringify(bin.body));
      assert.deepEqual(bin.body, json.body, q || 'default');
    }
    // Without X-Frames-Shape: full frames of the model's dims (2 floats per joint for a 2D model).
    const pairs = await postBinary('penn', f32(PENN.flat(2)), null);
    assert.deepEqual(pairs.body, await postPredict(srv.url, 'penn', { frames: PENN }).then((r) => r.body));
  });

  it('minScore is bounded and only for 2D models, naming the field', async () => {
    for (const minScore of [1.5, -1, 'high']) {
      const r = await postPredict(srv.url, 'penn', { frames: PENN, minScore });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.details.field, 'minScore');
    }
    const r = await postPredict(srv.url, 'skel', { frames: skeletonFrames(5, 1), minScore: 0.5 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details.field, 'minScore');
    assert.match(r.body.error.message, /^minScore: only 2D models read a score per point; the model takes 3D joints/);
    const q = await postBinary('penn', f32(PENN.flat(2)), null, '?minScore=2');
    assert.equal(q.status, 400);
    assert.equal(q.body.error.details.field, 'minScore');
  });

  it('a stream (JSON frames) and `indrnn predict --min-score` answer as HTTP does', async () => {
    const frames = scored(0.4);
    const want = await predict({ frames, layout: 'coco17', minScore: 0.5 });
    assert.notDeepEqual(want, await predict({ frames, layout: 'coco17' }), 'minScore 0.5 drops the 0.4 points');
    const client = await StreamClient.open(`${ws}/v1/models/penn/stream`);
    client.send({ type: 'config', topK: 15, layout: 'coco17', minScore: 0.5 });
    assert.equal((await client.until((m) => m.type === 'config', WAIT)).config.minScore, 0.5);
    client.send({ type: 'frames', frames });
    sameAnswer((await client.predictions(T, WAIT)).at(-1), want, 'stream');
    client.close();

    const tmp = mkdtempSync(join(tmpdir(), 'indrnn-scores-'));
    try {
      const input = join(tmp, 'clip.json');
      writeFileSync(input, JSON.stringify({ frames, layout: 'coco17' }));
      const model = join(dir, 'penn.onnx');
      const cli = indrnn('predict', '--model', model, '--input', input, '--min-score', '0.5', '--top-k', '15');
      assert.equal(cli.status, 0, cli.stderr);
      sameAnswer(JSON.parse(cli.stdout), want, 'indrnn predict');
      const skel = join(tmp, 'skel.json');
      writeFileSync(skel, JSON.stringify({ frames: skeletonFrames(3, 2) }));
      const refused = indrnn('predict', '--model', join(dir, 'skel.onnx'), '--input', skel, '--min-score', '0.5');
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /--min-score: only 2D models read a score per point/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
