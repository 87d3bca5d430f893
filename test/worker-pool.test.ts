// --model-workers N (src/onnx/worker-pool.ts): a model's runs spread over N worker threads with a session
// each. The answers are the inline session's, runs asked for together go to different workers, the batcher
// splits what is waiting among its free run slots (only with a pool), a dead worker of the pool is replaced,
// and `indrnn serve` takes the flag (its run slots follow it) or refuses it without the worker runner.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { Batcher, type BatchObserver, DEFAULT_BATCH } from '../src/host/batcher.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { WorkerPool } from '../src/onnx/worker-pool.js';
import type { WorkerRunner } from '../src/onnx/worker-runner.js';
import { Rng } from '../src/util/rng.js';
import { CLI } from './helpers/cli.js';
import { modelDir, rawFrames } from './helpers/models.js';
import { servedUrl } from './helpers/processes.js';

let dir: string;
before(() => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 3, inputSize: 6 } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const file = () => join(dir, 'rows.onnx');

function uniform(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** The pool inside a model loaded with workers > 1 (its runner field). */
const poolOf = (model: IndrnnModel) => (model as unknown as { runner: WorkerPool }).runner;
const workersOf = (pool: WorkerPool) => (pool as unknown as { workers: WorkerRunner[] }).workers;

/** Batch sizes the batcher ran, in order. */
function recordBatches(): BatchObserver & { sizes: number[] } {
  const sizes: number[] = [];
  return { sizes, batch: (size) => sizes.push(size), queueWait: () => {} };
}

describe('a pool of worker threads for one model', () => {
  it('the same logits and state as the inline session, for runs one by one and together', async () => {
    const inline = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1 });
    const pooled = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1, runner: 'worker', workers: 3 });
    try {
      assert.ok(poolOf(pooled) instanceof WorkerPool);
      assert.equal(poolOf(pooled).size, 3);
      assert.equal(pooled.provider, 'cpu');
      const { inputSize: D, numLayers: L, hiddenSize: H, numOutputs: K } = inline;
      const cases = [
        [9, 1, 1],
        [30, 4, 2],
        [3, 2, 3],
        [12, 5, 4],
        [1, 1, 5],
      ] as const;
      const together = await Promise.all(
        cases.map(([T, B, seed]) => pooled.run(uniform(T * B * D, seed), T, B, uniform(L * B * H, seed + 50))),
      );
      for (const [i, [T, B, seed]] of cases.entries()) {
        const expected = await inline.run(uniform(T * B * D, seed), T, B, uniform(L * B * H, seed + 50));
        assert.deepEqual(together[i], expected, `T ${T} B ${B}`);
      }
      const out = { logits: new Float32Array(4 * 2 * K), hT: new Float32Array(L * 2 * H) };
      const x = uniform(4 * 2 * D, 9);
      assert.equal(await pooled.run(x, 4, 2, undefined, out), out, 'written into the arrays given');
      assert.deepEqual(out, await inline.run(x, 4, 2));
    } finally {
      await inline.release();
      await pooled.release();
    }
  });

  it('runs asked for together go to different workers; a lone run to the first', async () => {
    const pooled = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1, runner: 'worker', workers: 2 });
    try {
      const [a, b] = workersOf(poolOf(pooled));
      const D = pooled.inputSize;
      const first = pooled.run(uniform(50 * D, 1), 50, 1);
      assert.deepEqual([a.pending, b.pending], [1, 0]);
      const second = pooled.run(uniform(50 * D, 2), 50, 1);
      assert.deepEqual([a.pending, b.pending], [1, 1], 'the idle worker takes the second run');
      const third = pooled.run(uniform(50 * D, 3), 50, 1);
      assert.deepEqual([a.pending, b.pending], [2, 1], 'a tie goes to the first');
      await Promise.all([first, second, third]);
      assert.deepEqual([a.pending, b.pending], [0, 0]);
    } finally {
      await pooled.release();
    }
  });

  it('the batcher shares what is waiting among its free slots with a pool, and takes it all inline', async () => {
    const T = 5;
    const run = async (model: IndrnnModel, maxConcurrent: number) => {
      const observer = recordBatches();
      const batcher = new Batcher(model, { ...DEFAULT_BATCH, maxConcurrent }, observer);
      const xs = Array.from({ length: 8 }, (_, i) => uniform(T * model.inputSize, 100 + i));
      const slots = await Promise.all(xs.map((x) => batcher.submit(x, T)));
      // Each sequence's answer: its last step's logits, read from the batch it ran in.
      const K = model.numOutputs;
      const answers = slots.map((s) =>
        Array.from(s.logits.subarray((s.last * s.B + s.b) * K, (s.last * s.B + s.b + 1) * K)),
      );
      return { sizes: observer.sizes, answers };
    };
    const inline = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1 });
    const pooled = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1, runner: 'worker', workers: 2 });
    try {
      const split = await run(pooled, 2);
      // Eight sequences, two free slots: the first run takes half. The second slot's batch is taken one
      // event-loop turn later; if the first run has ended by then (a fast worker, a busy main thread), two
      // slots are free again and the four left are shared 2 + 2. Either way no run takes more than its share.
      assert.equal(split.sizes[0], 4, `runs ${split.sizes}`);
      assert.equal(
        split.sizes.reduce((a, b) => a + b, 0),
        8,
      );
      assert.ok(
        split.sizes.every((n) => n <= 4),
        `runs ${split.sizes}`,
      );
      const whole = await run(inline, 2);
      assert.deepEqual(whole.sizes, [8], 'inline: one run of all (a second synchronous run would only wait)');
      const oneSlot = await run(pooled, 1);
      assert.deepEqual(oneSlot.sizes, [8]);
      const single = await IndrnnModel.load(file(), { provider: 'cpu', threads: 1, runner: 'worker' });
      try {
        assert.deepEqual((await run(single, 2)).sizes, [8], 'one worker: its runs would only queue');
      } finally {
        await single.release();
      }
      // Padding and batch size do not change a sequence's logits beyond float rounding of the products.
      for (const [i, a] of split.answers.entries())
        for (const [k, v] of a.entries()) assert.ok(Math.abs(v - whole.answers[i][k]) < 1e-5, `sequence ${i}`);
    } finally {
      await inline.release();
      await pooled.release();
    }
  });

  it('a worker of the pool that dies fails its run alone and is replaced; the others go on', async () => {
    const lost: string[] = [];
    const pooled = await IndrnnModel.load(file(), {
      provider: 'cpu',
      threads: 1,
      runner: 'worker',
      workers: 2,
      onWorkerLost: (reason) => lost.push(reason),
    });
    try {
      const [a] = workersOf(poolOf(pooled));
      const D = pooled.inputSize;
      const doomed = pooled.run(uniform(400 * D, 1), 400, 1);
      const other = pooled.run(uniform(7 * D, 2), 7, 1);
      await (a as unknown as { worker: Worker }).worker.terminate();
      await assert.rejects(doomed, /worker thread exited/);
      assert.equal((await other).logits.length, 7 * pooled.numOutputs, 'the other worker answered');
      assert.equal(lost.length, 1);
      const x = uniform(6 * D, 3);
      const again = await Promise.all([pooled.run(x, 6, 1), pooled.run(x, 6, 1)]);
      assert.deepEqual(again[0], again[1], 'both workers answer, the replaced one alike');
    } finally {
      await pooled.release();
    }
  });

  it('a pool size that is not a whole number >= 1 is refused before any thread starts', async () => {
    for (const workers of [0, 1.5, -2])
      await assert.rejects(IndrnnModel.load(file(), { runner: 'worker', workers }), /workers must be a whole number/);
  });
});

describe('indrnn serve --model-workers', () => {
  const SERVE = [CLI, 'serve', '--models', '', '--host', '127.0.0.1', '--port', '0', '--device', 'cpu'];
  const cli = () => SERVE.map((a) => a || dir);

  it('serves from N workers, one run slot each unless --max-concurrent is given', async () => {
    const child = spawn(process.execPath, [...cli(), '--model-runner', 'worker', '--model-workers', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, INDRNN_RELOAD: 'off' },
    });
    try {
      const served = servedUrl(child);
      const url = await served.url;
      const predict = (seed: number) =>
        fetch(`${url}/v1/models/rows/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ frames: rawFrames(6, 6, seed) }),
        });
      const answers = await Promise.all([1, 2, 3, 4].map(predict));
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200, 200, 200],
      );
      const config = served
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'configuration').config;
      assert.equal(config.modelWorkers, 2);
      assert.equal(config.batch.maxConcurrent, 2);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is refused without --model-runner worker, naming both flags', () => {
    const r = spawnSync(process.execPath, [...cli(), '--model-workers', '2'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--model-workers 2 needs --model-runner worker/);
    const big = spawnSync(process.execPath, [...cli(), '--model-runner', 'worker', '--model-workers', '65'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(big.status, 1);
    assert.match(big.stderr, /--model-workers.*expected an integer <= 64/);
  });
});
