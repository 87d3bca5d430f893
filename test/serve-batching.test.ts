// Dynamic batching: concurrent requests for one model share runs (right-padded, each read at its own
// last frame) and get the same answers as unbatched requests; the batcher's own rules (size limit,
// delay, exclusive jobs in order, queue limit).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Batcher } from '../src/host/batcher.js';
import { ApiError } from '../src/predict/errors.js';
import { modelDir, serveApp, skeletonFrames } from './helpers/models.js';

let dir: string;
let batched: Awaited<ReturnType<typeof serveApp>>;
let unbatched: Awaited<ReturnType<typeof serveApp>>;
before(async () => {
  dir = modelDir({
    'skeleton.onnx': { kind: 'skeleton', name: 'skel', arch: 'residual', depth: 2, hiddenSize: 24, seed: 5 },
  });
  batched = await serveApp(dir, { batch: { maxBatch: 8, maxDelayMs: 25 } });
  unbatched = await serveApp(dir, { batch: { maxBatch: 1, maxDelayMs: 0 } });
});
after(async () => {
  await batched.registry.close();
  await unbatched.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

function maxProbabilityDiff(a: any, b: any): number {
  assert.equal(a.label, b.label);
  assert.equal(a.frames, b.frames);
  assert.deepEqual(
    a.topK.map((p: any) => p.index),
    b.topK.map((p: any) => p.index),
  );
  let m = Math.abs(a.probability - b.probability);
  a.timeline.forEach((p: any, t: number) => {
    assert.equal(p.index, b.timeline[t].index, `timeline[${t}]`);
    m = Math.max(m, Math.abs(p.probability - b.timeline[t].probability));
  });
  return m;
}

describe('batched vs unbatched', () => {
  it('20 concurrent requests of lengths 1..40 give the unbatched answers (timelines included)', async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => skeletonFrames(1 + ((i * 7) % 40), 100 + i, 1 + (i % 2)));
    const send = (app: typeof batched.app, frames: unknown) =>
      request(app).post('/v1/models/skel/predict').send({ frames, topK: 5, timeline: true }).expect(200);
    const together = await Promise.all(inputs.map((f) => send(batched.app, f)));
    const alone: any[] = [];
    for (const f of inputs) alone.push(await send(unbatched.app, f)); // strictly one at a time
    let worst = 0;
    for (let i = 0; i < inputs.length; i++)
      worst = Math.max(worst, maxProbabilityDiff(together[i].body.predictions[0], alone[i].body.predictions[0]));
    assert.ok(worst < 1e-5, `probabilities differ by ${worst}`);
    // They really were batched: some run held more than one sequence.
    const metrics = await batched.metrics.registry.getSingleMetricAsString('indrnn_batch_size');
    const count = Number(/indrnn_batch_size_count\{model="skel",version="[^"]*"\} (\d+)/.exec(metrics)?.[1]);
    const sum = Number(/indrnn_batch_size_sum\{model="skel",version="[^"]*"\} (\d+)/.exec(metrics)?.[1]);
    assert.equal(sum, 20);
    assert.ok(count < 20 && count >= 3, `20 sequences in ${count} runs (max batch 8)`);
    const plain = await unbatched.metrics.registry.getSingleMetricAsString('indrnn_batch_size');
    assert.match(plain, /indrnn_batch_size_sum\{model="skel",version="[^"]*"\} 20$/m);
    assert.match(plain, /indrnn_batch_size_count\{model="skel",version="[^"]*"\} 20$/m);
  });
});

describe('Batcher', () => {
  it('runs at most maxBatch sequences, waits maxDelayMs for company, pads and reads each at its own end', async () => {
    const model = batched.registry.get('skel')!.model;
    const sizes: number[] = [];
    const b = new Batcher(
      model,
      { maxBatch: 3, maxDelayMs: 30, maxQueue: 100 },
      { batch: (n) => sizes.push(n), queueWait: () => {} },
    );
    const D = model.inputSize;
    const xs = [2, 5, 1, 4].map((T, i) => ({ T, x: Float32Array.from({ length: T * D }, (_, k) => Math.sin(k + i)) }));
    const t0 = performance.now();
    const slots = await Promise.all(xs.map((s) => b.submit(s.x, s.T)));
    assert.deepEqual(sizes, [3, 1]);
    assert.ok(performance.now() - t0 >= 25, 'the lone fourth sequence waited for company');
    for (const [i, slot] of slots.entries()) {
      const alone = await model.run(xs[i].x, xs[i].T, 1);
      const K = model.numOutputs;
      const mine = slot.logits.slice((slot.last * slot.B + slot.b) * K, (slot.last * slot.B + slot.b + 1) * K);
      const ref = alone.logits.slice((xs[i].T - 1) * K, xs[i].T * K);
      for (let k = 0; k < K; k++) assert.ok(Math.abs(mine[k] - ref[k]) < 1e-5, `sequence ${i} logit ${k}`);
    }
  });

  it('exclusive jobs run alone and in queue order; a full queue answers overloaded', async () => {
    const model = batched.registry.get('skel')!.model;
    // maxQueue 4: seq1 stays queued until its batch is taken (the next check phase), with the three after it.
    const b = new Batcher(model, { maxBatch: 4, maxDelayMs: 0, maxQueue: 4, maxConcurrent: 1 });
    const order: string[] = [];
    const x = new Float32Array(model.inputSize);
    const p1 = b.submit(x, 1).then(() => order.push('seq1'));
    const p2 = b.exclusive(async () => order.push('exclusive'));
    const p3 = b.submit(x, 1).then(() => order.push('seq2'));
    const p4 = b.submit(x, 1).then(() => order.push('seq3'));
    assert.throws(
      () => b.submit(x, 1),
      (e: unknown) => e instanceof ApiError && e.code === 'overloaded',
    );
    await Promise.all([p1, p2, p3, p4]);
    assert.deepEqual(order, ['seq1', 'exclusive', 'seq2', 'seq3']);
    await b.drain();
  });

  it('runs up to maxConcurrent jobs at once, no more', async () => {
    const model = batched.registry.get('skel')!.model;
    const b = new Batcher(model, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10, maxConcurrent: 2 });
    let active = 0;
    let peak = 0;
    const job = () =>
      b.exclusive(async () => {
        peak = Math.max(peak, ++active);
        await new Promise((r) => setImmediate(r)); // the batcher starts what it allows synchronously: hold past that
        active--;
      });
    await Promise.all([job(), job(), job(), job(), job()]);
    assert.equal(peak, 2);
  });

  it('a failing run rejects its sequences and the batcher carries on', async () => {
    const model = batched.registry.get('skel')!.model;
    const b = new Batcher(model, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10 });
    await assert.rejects(b.submit(new Float32Array(3), 1), RangeError); // wrong size: model.run throws
    const ok = await b.submit(new Float32Array(model.inputSize), 1);
    assert.equal(ok.B, 1);
  });
});
