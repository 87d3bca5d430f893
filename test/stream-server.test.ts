// WebSocket streams against a listening server (port 0) with real ws clients: parity with HTTP predict
// (a model without sampling and a rate model with staggered states), binary frames, reset, reconnect,
// batching of concurrent streams, malformed messages, every limit, auth, refusals, metrics, shutdown.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.js';
import type { StreamOptions } from '../src/stream/limits.js';
import { metricDeltas, scrape, until } from './helpers/metrics.js';
import { modelDir, rawFrames, skeletonFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { assertClose, f32, probs, refusal, StreamClient, streamFrameByFrame } from './helpers/stream.js';

const RATE = { kind: 'rate', fps: 10, window: 8 };

async function start(dir: string, stream: Partial<StreamOptions> = {}, token?: string): Promise<RunningServer> {
  return startLoopbackServer(dir, { token, batch: { maxBatch: 32, maxDelayMs: 0, maxQueue: 1024 }, stream });
}

let dir: string;
let srv: RunningServer;
let ws: string;
before(async () => {
  dir = modelDir({
    'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 1, arch: 'residual', depth: 1 },
    'rate.onnx': { kind: 'skeleton', name: 'ratey', seed: 5, metadata: { sampling: JSON.stringify(RATE) } },
    'rate-streams.onnx': {
      kind: 'skeleton',
      name: 'streams',
      seed: 6,
      features: ['joints', 'bones', 'motion', 'bone-motion'],
      metadata: { sampling: JSON.stringify(RATE) },
    },
    'seg.onnx': {
      kind: 'skeleton',
      name: 'seg',
      seed: 4,
      metadata: { sampling: JSON.stringify({ kind: 'segments', segments: 5 }) },
    },
    'adding.onnx': { kind: 'regression', name: 'adding', seed: 3, inputSize: 2 },
  });
  srv = await start(dir);
  ws = srv.url.replace('http', 'ws');
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function httpPredict(model: string, body: unknown): Promise<any> {
  const r = await fetch(`${srv.url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).predictions[0];
}

/** Streams frames one per message; returns every prediction. */
const streamOneByOne = (model: string, frames: unknown[], config: object = {}) =>
  streamFrameByFrame(`${ws}/v1/models/${model}/stream`, frames, config);

describe('parity with HTTP predict', () => {
  it('a model without sampling: frame by frame gives the final prediction of the whole sequence (1e-4)', async () => {
    for (const [model, frames] of [
      ['rows', rawFrames(40, 6, 7)],
      ['skel', skeletonFrames(40, 8, 2)],
    ] as const) {
      const http = await httpPredict(model, { frames, topK: 5, timeline: true });
      const preds = await streamOneByOne(model, frames as unknown[]);
      assert.equal(preds.length, 40);
      const last = preds[39];
      assert.equal(last.frame, 39);
      assert.equal(last.step, 39);
      assert.equal(last.history, 40);
      assert.equal(last.label, http.label);
      assertClose(probs(last), probs(http), 1e-4, model);
      // Every step agrees with the HTTP timeline.
      assert.deepEqual(
        preds.map((p) => p.index),
        http.timeline.map((t: any) => t.index),
      );
    }
  });

  it('a rate model: resampled 30 -> 10 fps, staggered states past the window, the same as HTTP', async () => {
    const frames = skeletonFrames(150, 9); // 150 frames at 30 fps = 50 steps, window 8
    const http = await httpPredict('ratey', { frames, topK: 5, timeline: true });
    assert.equal(http.frames, 50);
    const preds = await streamOneByOne('ratey', frames);
    assert.equal(preds.length, 50);
    assert.deepEqual(
      preds.map((p) => p.step),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.deepEqual(
      preds.map((p) => p.frame),
      Array.from({ length: 50 }, (_, i) => i * 3),
    );
    const last = preds[49];
    assertClose(probs(last), probs(http), 1e-4, 'final');
    for (const p of preds.slice(8)) assert.ok(p.history >= 6 && p.history <= 8, `history ${p.history}`);
    preds.forEach((p, i) => {
      assert.equal(p.index, http.timeline[i].index, `step ${i}`);
      assert.ok(Math.abs(p.probability - http.timeline[i].probability) < 1e-4, `step ${i}`);
    });
  });

  it('a rate model with input streams (bones, motions) takes joints: frame by frame, the same as HTTP at every step', async () => {
    const frames = skeletonFrames(150, 11, 2);
    const http = await httpPredict('streams', { frames, topK: 5, timeline: true });
    assert.equal(http.frames, 50);
    const preds = await streamOneByOne('streams', frames);
    assert.equal(preds.length, 50);
    assertClose(probs(preds[49]), probs(http), 1e-4, 'final');
    preds.forEach((p, i) => {
      assert.equal(p.index, http.timeline[i].index, `step ${i}`);
      assert.ok(Math.abs(p.probability - http.timeline[i].probability) < 1e-4, `step ${i}`);
    });
  });

  it('frameRate: a 15 fps client (config) equals HTTP with frameRate 15', async () => {
    const frames = skeletonFrames(40, 10);
    const http = await httpPredict('ratey', { frames, topK: 5, frameRate: 15 });
    const c = await StreamClient.open(`${ws}/v1/models/ratey/stream`);
    c.send({ type: 'config', frameRate: 15, topK: 5 });
    await c.until((m) => m.type === 'config');
    c.send({ type: 'frames', frames });
    const preds = await c.predictions(http.frames);
    c.close();
    assert.equal(preds.length, 27); // floor(39 * 10 / 15) + 1
    assertClose(probs(preds[26]), probs(http), 1e-4, 'final');
  });

  it('binary float32 frames give the same predictions as JSON frames; regression models send values', async () => {
    const frames = rawFrames(12, 6, 11);
    const json = await streamOneByOne('rows', frames);
    const c = await StreamClient.open(`${ws}/v1/models/rows/stream`);
    c.send(f32(frames.slice(0, 5).flat()));
    c.send(f32(frames.slice(5).flat()));
    const bin = await c.predictions(12);
    c.close();
    assert.deepEqual(
      bin.map((p) => p.probability),
      json.map((p) => p.probability),
    );
    const a = await StreamClient.open(`${ws}/v1/models/adding/stream`);
    a.send({ type: 'frames', frames: rawFrames(3, 2, 1) });
    const vals = await a.predictions(3);
    a.close();
    const http = await httpPredict('adding', { frames: rawFrames(3, 2, 1) });
    assert.ok(Math.abs(vals[2].value - http.value) < 1e-4);
  });
});

describe('state: reset, reconnect, concurrent streams', () => {
  it('reset starts a new sequence; a reconnect starts fresh; every N and topK', async () => {
    const frames = rawFrames(10, 6, 12);
    const c = await StreamClient.open(`${ws}/v1/models/rows/stream`);
    c.send({ type: 'frames', frames });
    const first = await c.predictions(10);
    c.send({ type: 'reset' });
    const ack = await c.until((m) => m.type === 'reset');
    assert.equal(ack.discarded, 0);
    c.send({ type: 'config', every: 5, topK: 2 });
    await c.until((m) => m.type === 'config');
    c.send({ type: 'frames', frames });
    const all = await c.predictions(12);
    const again = all.slice(10);
    assert.deepEqual(
      again.map((p) => [p.frame, p.topK.length]),
      [
        [4, 2],
        [9, 2],
      ],
    );
    assert.equal(again[1].probability, first[9].probability);
    c.close();
    const d = await StreamClient.open(`${ws}/v1/models/rows/stream`);
    d.send({ type: 'frames', frames });
    const reconnected = await d.predictions(10);
    assert.deepEqual(
      reconnected.map((p) => p.probability),
      first.map((p) => p.probability),
    );
    d.close();
  });

  it('concurrent streams share runs and keep their own state', async () => {
    const N = 8;
    const seqs = Array.from({ length: N }, (_, i) => rawFrames(20, 6, 100 + i));
    const solo = await Promise.all(seqs.map((s) => httpPredict('rows', { frames: s, topK: 5 })));
    const delta = await metricDeltas(srv.url, async () => {
      const clients = await Promise.all(seqs.map(() => StreamClient.open(`${ws}/v1/models/rows/stream`)));
      for (const c of clients) c.send({ type: 'config', topK: 5 });
      for (let t = 0; t < 20; t++)
        for (const [i, c] of clients.entries()) c.send({ type: 'frames', frames: [seqs[i][t]] });
      const preds = await Promise.all(clients.map((c) => c.predictions(20)));
      for (const [i, p] of preds.entries()) assertClose(probs(p[19]), probs(solo[i]), 1e-4, `stream ${i}`);
      for (const c of clients) c.close();
    });
    const runs = delta('indrnn_stream_batch_rows_count{model="rows"}');
    const single = delta('indrnn_stream_batch_rows_bucket{le="1",model="rows"}');
    assert.ok(runs > single, `some runs held several streams (${single} of ${runs} runs had one)`);
  });
});

describe('malformed messages: an error naming the field, the connection stays', () => {
  it('each kind of bad message', async () => {
    const c = await StreamClient.open(`${ws}/v1/models/skel/stream`);
    const cases: [unknown, string, string | undefined, RegExp][] = [
      ['not json', 'invalid_json', undefined, /not JSON/],
      [[1, 2], 'invalid_message', 'type', /JSON object/],
      [{ frames: [] }, 'invalid_message', 'type', /type is missing/],
      [{ type: 'dance' }, 'invalid_message', 'type', /"dance"/],
      [{ type: 'reset', now: true }, 'invalid_message', 'now', /not a field/],
      [{ type: 'config', topK: 0 }, 'invalid_message', 'topK', /topK/],
      [{ type: 'config', every: 'often' }, 'invalid_message', 'every', /every/],
      [{ type: 'frames', frames: 'x' }, 'invalid_message', 'frames', /frames/],
      [{ type: 'frames', frames: [] }, 'empty_sequence', 'frames', /empty/],
      [
        { type: 'frames', frames: [skeletonFrames(1, 1)[0], (skeletonFrames(1, 1)[0] as number[][]).slice(0, 17)] },
        'invalid_shape',
        'frames[1]',
        /frames\[1\] has 17 joints, the model expects 25/,
      ],
      [
        { type: 'frames', frames: Array.from({ length: 301 }, () => skeletonFrames(1, 1)[0]) },
        'too_many_frames',
        'frames',
        /301 frames, the limit is 300/,
      ],
      [
        f32([1, 2, 3]),
        'invalid_shape',
        '(body)',
        /3 floats, expected whole frames of 150 floats \(2 bodies x 25 joints x 3 floats per joint\)/,
      ],
      [Buffer.alloc(599), 'invalid_shape', '(body)', /599 bytes, not a multiple of 4 bytes per float32/],
      [
        f32(Array.from({ length: 150 }, (_, i) => (i === 7 ? Number.NaN : 0))),
        'non_finite_value',
        'frames[0][0][2][1]',
        /NaN/,
      ],
    ];
    let seen = 1;
    for (const [msg, code, field, re] of cases) {
      c.send(msg instanceof Buffer || typeof msg === 'string' ? msg : JSON.stringify(msg));
      const err = await c.until((m) => m.type === 'error', 2000, seen);
      seen = c.messages.length;
      assert.equal(err.code, code, JSON.stringify(err));
      assert.equal(err.field, field, JSON.stringify(err));
      assert.match(err.message, re);
      // A valid message between errors keeps the malformed count at zero.
      c.send({ type: 'config' });
      await c.until((m) => m.type === 'config', 2000, seen);
      seen = c.messages.length;
    }
    // frameRate after frames: invalid_state, until a reset.
    c.send({ type: 'frames', frames: [skeletonFrames(1, 1)[0]] });
    await c.predictions(1);
    seen = c.messages.length;
    c.send({ type: 'config', frameRate: 15 });
    const st = await c.until((m) => m.type === 'error', 2000, seen);
    assert.equal(st.code, 'invalid_state');
    assert.equal(c.closed, null);
    c.close();
  });
});

describe('binary frames: one codec for streams and HTTP predict', () => {
  it('the same malformed payload gets the same error in a stream message and an HTTP binary body', async () => {
    const nan = (n: number, at: number) => f32(Array.from({ length: n }, (_, i) => (i === at ? Number.NaN : 0.5)));
    const payloads: [string, Buffer][] = [
      ['skel', Buffer.alloc(599)], // not whole float32s
      ['skel', f32(new Float32Array(151))], // not whole frames
      ['skel', Buffer.alloc(0)],
      ['skel', nan(300, 150 + 3 * 25 + 7)], // frame 1, body 1, joint 2, y
      ['rows', f32(new Float32Array(7))],
      ['rows', nan(12, 11)],
    ];
    for (const [model, payload] of payloads) {
      const r = await fetch(`${srv.url}/v1/models/${model}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: new Uint8Array(payload),
      });
      assert.equal(r.status, 400);
      const { code, message, details } = (await r.json()).error;
      const c = await StreamClient.open(`${ws}/v1/models/${model}/stream`);
      c.send(payload);
      const err = await c.until((m) => m.type === 'error');
      c.close();
      assert.deepEqual(
        err,
        { type: 'error', code, message, field: details.field },
        `${model}, ${payload.length} bytes`,
      );
    }
  });
});

describe('limits and refusals', () => {
  let dir2: string;
  let lim: RunningServer;
  let url: string;
  const TOKEN = 'sesame';
  before(async () => {
    dir2 = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 } });
    lim = await start(
      dir2,
      {
        maxConnections: 2,
        maxMessageBytes: 4096,
        maxFramesPerMessage: 20,
        maxQueuedSteps: 8,
        maxMalformed: 3,
        idleTimeoutMs: 400,
        pingIntervalMs: 150,
      },
      TOKEN,
    );
    url = `${lim.url.replace('http', 'ws')}/v1/models/rows/stream`;
  });
  after(async () => {
    await lim.shutdown('test end');
    rmSync(dir2, { recursive: true, force: true });
  });
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

  const closedOnServer = () => until(() => lim.streams.size === 0, 'the server to close its streams');

  it('auth: the bearer header or ?token=; otherwise 401', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const none = await refusal(url);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.equal((await refusal(`${url}?token=wrong`)).status, 401);
      assert.equal((await refusal(url, { authorization: 'Bearer nope' })).status, 401);
    });
    assert.equal(delta('indrnn_stream_rejected_total{reason="unauthorized"}'), 3);
    (await StreamClient.open(url, auth)).close();
    (await StreamClient.open(`${url}?token=${TOKEN}`)).close();
    await closedOnServer();
  });

  it('refusals: unknown route and model (404), segment model (409, not streamable)', async () => {
    const r1 = await refusal(`${ws}/v1/models/nope/stream`);
    assert.equal(r1.status, 404);
    assert.equal(r1.body.error.code, 'model_not_found');
    const r2 = await refusal(`${ws}/v1/stream`);
    assert.equal(r2.status, 404);
    assert.equal(r2.body.error.code, 'not_found');
    const r3 = await refusal(`${ws}/v1/models/seg/stream`);
    assert.equal(r3.status, 409);
    assert.equal(r3.body.error.code, 'not_streamable');
    assert.match(r3.body.error.message, /segments.*cannot stream/);
  });

  it('max connections: the third gets 503 too_many_streams; a slot frees on close', async () => {
    const a = await StreamClient.open(url, auth);
    const b = await StreamClient.open(url, auth);
    const delta = await metricDeltas(lim.url, async () => {
      const r = await refusal(url, auth.headers);
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'too_many_streams');
    });
    assert.equal(delta('indrnn_stream_rejected_total{reason="too_many_streams"}'), 1);
    a.close();
    await until(() => lim.streams.size === 1, "the server to close a's stream");
    const c = await StreamClient.open(url, auth);
    b.close();
    c.close();
    await closedOnServer();
  });

  it('a message above maxMessageBytes: closed with 1009', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const c = await StreamClient.open(url, auth);
      c.send({ type: 'frames', frames: rawFrames(1, 6, 1), pad: 'x'.repeat(5000) });
      assert.equal((await c.whenClosed()).code, 1009);
      await closedOnServer();
    });
    assert.equal(delta('indrnn_stream_dropped_connections_total{model="rows",reason="too_big"}'), 1);
  });

  it('flooding: more steps queued than maxQueuedSteps -> queue_full, then closed 1008; others unharmed', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const calm = await StreamClient.open(url, auth);
      const c = await StreamClient.open(url, auth);
      c.send({ type: 'frames', frames: rawFrames(12, 6, 1) });
      const err = await c
        .until((m) => m.type === 'error', 2000)
        .catch(() => c.messages.find((m) => m.type === 'error'));
      assert.equal(err.code, 'queue_full');
      assert.equal((await c.whenClosed()).code, 1008);
      calm.send({ type: 'frames', frames: rawFrames(3, 6, 2) });
      assert.equal((await calm.predictions(3)).length, 3);
      calm.close();
      await closedOnServer();
    });
    const rows = (name: string) => delta(`indrnn_stream_${name}{model="rows"}`);
    assert.equal(delta('indrnn_stream_dropped_connections_total{model="rows",reason="queue_full"}'), 1);
    assert.equal(rows('frames_received_total'), 15);
    assert.equal(rows('steps_total'), 3, "only the calm stream's steps ran");
    assert.equal(rows('predictions_total'), 3);
    assert.equal(rows('frame_latency_seconds_count'), 3);
    assert.equal((await scrape(lim.url)).get('indrnn_stream_active{model="rows"}'), 0);
  });

  it('maxMalformed malformed messages in a row: too_many_errors, closed 1008', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const c = await StreamClient.open(url, auth);
      for (let i = 0; i < 3; i++) c.send('{');
      const closed = await c.whenClosed();
      assert.equal(closed.code, 1008);
      assert.equal(c.messages.filter((m) => m.type === 'error').length, 4);
      assert.equal(c.messages.at(-1).code, 'too_many_errors');
      await closedOnServer();
    });
    assert.equal(delta('indrnn_stream_dropped_connections_total{model="rows",reason="too_many_errors"}'), 1);
    assert.equal(delta('indrnn_stream_errors_total{model="rows",code="invalid_json"}'), 3);
  });

  it('idle timeout: closed with 4000 after idleTimeoutMs without messages (pings do not count)', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const c = await StreamClient.open(url, auth);
      const t0 = Date.now();
      const closed = await c.whenClosed(3000);
      assert.equal(closed.code, 4000);
      assert.ok(Date.now() - t0 >= 300);
      assert.equal(c.messages.at(-1).code, 'idle_timeout');
      await closedOnServer();
    });
    assert.equal(delta('indrnn_stream_dropped_connections_total{model="rows",reason="idle_timeout"}'), 1);
  });

  it('keepalive: a client that does not answer pings is cut', async () => {
    const delta = await metricDeltas(lim.url, async () => {
      const c = await StreamClient.open(url, { ...auth, autoPong: false });
      const closed = await c.whenClosed(3000);
      assert.equal(closed.code, 1006); // terminated, no close frame
      await closedOnServer();
    });
    assert.equal(delta('indrnn_stream_dropped_connections_total{model="rows",reason="no_pong"}'), 1);
  });

  it('shutdown closes streams with 1001', async () => {
    const c = await StreamClient.open(url, auth);
    await lim.shutdown('test');
    assert.equal((await c.whenClosed()).code, 1001);
  });
});

describe('a client that does not read', () => {
  let dir3: string;
  let slow: RunningServer;
  let url: string;
  before(async () => {
    dir3 = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 } });
    slow = await start(dir3, { maxBufferedBytes: 16 * 1024, maxFramesPerMessage: 200, maxQueuedSteps: 100_000 });
    url = `${slow.url.replace('http', 'ws')}/v1/models/rows/stream`;
  });
  after(async () => {
    await slow.shutdown('test end');
    rmSync(dir3, { recursive: true, force: true });
  });
  const dropped = async () =>
    (await scrape(slow.url)).get('indrnn_stream_dropped_connections_total{model="rows",reason="too_slow"}') === 1;
  const stepsRun = async () => (await scrape(slow.url)).get('indrnn_stream_steps_total{model="rows"}') ?? 0;

  it('more than maxBufferedBytes of unread predictions: too_slow, dropped; other streams unharmed', async () => {
    const calm = await StreamClient.open(url);
    const c = await StreamClient.open(url);
    (c.ws as any)._socket.pause(); // stop reading: predictions pile up in the kernel, then in the server
    // Until the server's send buffer passes the limit (after the kernel's socket buffers are full).
    // Each message is sent once the server has run the previous one's steps (the client cannot see them).
    for (let i = 0; i < 200 && !(await dropped()); i++) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      const steps = (await stepsRun()) + 200;
      c.send({ type: 'frames', frames: rawFrames(200, 6, i) });
      await until(async () => (await stepsRun()) >= steps || (await dropped()), 'the server to run the steps sent');
    }
    assert.ok(await dropped(), 'the server never dropped the client that does not read');
    calm.send({ type: 'frames', frames: rawFrames(3, 6, 2) });
    assert.equal((await calm.predictions(3)).length, 3);
    calm.close();
    (c.ws as any)._socket.resume();
    const closed = await c.whenClosed();
    // The close frame waits behind the unread predictions: read in time it is 1008, else the cut (1006).
    assert.ok(closed.code === 1008 || closed.code === 1006, `closed with ${closed.code}`);
    if (closed.code === 1008) assert.equal(c.messages.at(-1).code, 'too_slow');
  });
});
