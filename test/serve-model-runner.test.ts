// --model-runner worker (src/onnx/worker-runner.ts): a model's session in a worker thread gives the same
// results as the inline one (direct runs with and without state and output arrays, HTTP JSON and binary
// predict, KServe infer with state, streams), keeps the event loop turning during a run, answers 504 at the
// run deadline while the run goes on, and ends its thread when the model is freed.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Batcher } from '../src/host/batcher.js';
import { IndrnnModel } from '../src/onnx/model.js';
import type { RunnerKind } from '../src/onnx/runner.js';
import { ApiError } from '../src/predict/errors.js';
import type { RunningServer } from '../src/server.js';
import { Rng } from '../src/util/rng.js';
import { modelDir, rawFrames, serveApp, skeletonFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { f32, StreamClient } from './helpers/stream.js';

let dir: string;
before(() => {
  dir = modelDir({
    'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 1, arch: 'residual', depth: 2 },
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (runner: RunnerKind, file = 'rows.onnx') =>
  IndrnnModel.load(join(dir, file), { provider: 'cpu', threads: 1, runner });

function uniform(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

describe('worker runner, direct', () => {
  it('the same logits and state as inline: B = 1 and 3, with h0, into out arrays, sizes growing and shrinking', async () => {
    const inline = await load('inline');
    const worker = await load('worker');
    try {
      assert.equal(worker.runnerKind, 'worker');
      assert.equal(worker.provider, 'cpu');
      const { inputSize: D, numLayers: L, hiddenSize: H, numOutputs: K } = inline;
      for (const [T, B, seed] of [
        [7, 1, 1],
        [40, 3, 2],
        [2, 2, 3],
      ]) {
        const x = uniform(T * B * D, seed);
        const h0 = uniform(L * B * H, seed + 10);
        assert.deepEqual(await worker.run(x, T, B), await inline.run(x, T, B), `T ${T} B ${B}`);
        const a = await inline.run(x, T, B, h0);
        const out = { logits: new Float32Array(T * B * K), hT: new Float32Array(L * B * H) };
        const b = await worker.run(x, T, B, h0, out);
        assert.equal(b, out, 'written into the arrays given');
        assert.deepEqual(b, a, `with h0, T ${T} B ${B}`);
      }
      // Runs asked for together queue in the worker runner and each gets its own answer.
      const xs = [1, 2, 3, 4].map((s) => uniform(5 * D, 20 + s));
      const together = await Promise.all(xs.map((x) => worker.run(x, 5, 1)));
      for (const [i, x] of xs.entries()) assert.deepEqual(together[i], await inline.run(x, 5, 1));
    } finally {
      await inline.release();
      await worker.release();
    }
  });

  it('the event loop turns while a worker runs the model, not while an inline session does', async () => {
    const turnsDuringRun = async (model: IndrnnModel) => {
      const T = 4000;
      const x = uniform(T * model.inputSize, 5);
      let turns = 0;
      let done = false;
      const tick = () => {
        if (done) return;
        turns++;
        setImmediate(tick);
      };
      const run = model.run(x, T, 1).then(() => {
        done = true;
      });
      setImmediate(tick);
      await run;
      return turns;
    };
    const inline = await load('inline');
    const worker = await load('worker');
    try {
      // Inline, the run is one synchronous call in a check phase: at most the turn queued beside it.
      assert.ok((await turnsDuringRun(inline)) <= 1, 'inline: the run holds the thread');
      assert.ok((await turnsDuringRun(worker)) > 1, 'worker: the loop went on');
    } finally {
      await inline.release();
      await worker.release();
    }
  });

  it('a freed model ends its thread: later runs are refused; a bad file fails to load with its reason', async () => {
    const worker = await load('worker');
    await worker.release();
    await assert.rejects(worker.run(new Float32Array(6), 1, 1), /released/);
    await worker.release(); // twice is harmless
    const bad = modelDir({ 'x.onnx': { kind: 'raw', name: 'x', inputSize: 6 } });
    try {
      await assert.rejects(
        IndrnnModel.load(join(bad, 'x.onnx'), { provider: 'cuda', threads: 1, runner: 'worker' }),
        (e: Error) => /x\.onnx: /.test(e.message) && /CUDA|cuda/.test(e.message),
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('the registry frees worker models at close: their threads end, later runs are refused', async () => {
    const { registry } = await serveApp(dir, { runner: 'worker' });
    const model = registry.get('rows')!.model;
    assert.equal(model.runnerKind, 'worker');
    assert.equal((await registry.get('rows')!.batcher.submit(uniform(3 * 6, 7), 3)).B, 1);
    assert.equal(await registry.close(), true);
    await assert.rejects(model.run(new Float32Array(6), 1, 1), /released/);
  });

  it('a run past --run-timeout-ms answers 504 while the worker goes on; the model is stuck until it returns', async () => {
    const model = await load('worker');
    const b = new Batcher(model, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10, runTimeoutMs: 1, queueTimeoutMs: 60_000 });
    try {
      const T = 20_000; // far longer than 1 ms on any machine
      await assert.rejects(
        b.submit(uniform(T * model.inputSize, 6), T),
        (e: unknown) => e instanceof ApiError && e.code === 'timeout',
      );
      assert.equal(b.stuck, true);
      await b.drain();
      assert.equal(b.stuck, false);
    } finally {
      await model.release();
    }
  });
});

describe('worker runner behind the server: the same answers as inline', () => {
  let inline: RunningServer;
  let worker: RunningServer;
  before(async () => {
    inline = await startLoopbackServer(dir, { modelRunner: 'inline' });
    worker = await startLoopbackServer(dir, { modelRunner: 'worker' });
  });
  after(async () => {
    await inline.shutdown('test end');
    await worker.shutdown('test end');
  });

  const post = async (srv: RunningServer, path: string, body: string | Buffer, headers: Record<string, string>) => {
    const r = await fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return r.json();
  };
  const both = (path: string, body: string | Buffer, headers: Record<string, string>) =>
    Promise.all([post(inline, path, body, headers), post(worker, path, body, headers)]);
  const json = { 'content-type': 'application/json' };

  it('predict, JSON and binary bodies, one at a time and concurrent (batched)', async () => {
    for (const [model, frames] of [
      ['rows', rawFrames(30, 6, 7)],
      ['skel', skeletonFrames(50, 8, 2)],
    ] as const) {
      const body = JSON.stringify({ frames, topK: 5, timeline: true });
      const [a, b] = await both(`/v1/models/${model}/predict`, body, json);
      assert.deepEqual(b, a, model);
    }
    const frames = rawFrames(12, 6, 9);
    const [a, b] = await both('/v1/models/rows/predict', f32(frames.flat()), {
      'content-type': 'application/octet-stream',
      'x-frames-shape': '12,6',
    });
    assert.deepEqual(b, a, 'binary');
    // Concurrent requests run as batches: padded rows give each sequence its own logits (to rounding).
    const bodies = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ frames: rawFrames(5 + i, 6, 40 + i), topK: 3 }),
    );
    const answers = await Promise.all(
      [inline, worker].map((srv) =>
        Promise.all(bodies.map((body) => post(srv, '/v1/models/rows/predict', body, json))),
      ),
    );
    for (let i = 0; i < bodies.length; i++) {
      const [p, q] = [answers[0][i].predictions[0], answers[1][i].predictions[0]];
      assert.equal(q.label, p.label);
      assert.ok(Math.abs(q.probability - p.probability) < 1e-5, `request ${i}`);
    }
  });

  it('KServe infer with a state passed back', async () => {
    const [T, B, D] = [4, 2, 6];
    const x = Array.from(uniform(T * B * D, 11));
    const h0 = Array.from(uniform(2 * B * 16, 12));
    const body = JSON.stringify({
      inputs: [
        { name: 'x', shape: [T, B, D], datatype: 'FP32', data: x },
        { name: 'h0', shape: [2, B, 16], datatype: 'FP32', data: h0 },
      ],
    });
    const [a, b] = await both('/v2/models/rows/infer', body, json);
    assert.deepEqual(b, a);
  });

  it('streams: frame by frame, every prediction the same', async () => {
    const frames = skeletonFrames(30, 13);
    const run = async (srv: RunningServer) => {
      const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/skel/stream`);
      c.send({ type: 'config', topK: 5 });
      await c.until((m) => m.type === 'config');
      for (const f of frames) c.send({ type: 'frames', frames: [f] });
      const preds = await c.predictions(frames.length);
      c.close();
      return preds.map((p) => [p.frame, p.topK]);
    };
    assert.deepEqual(await run(worker), await run(inline));
  });
});
