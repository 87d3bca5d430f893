// Data-parallel training on several threads: the thread count must not change a single bit of the
// weights, and sharding a batch must compute the same maths as the whole batch (up to rounding).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrtBackend } from '../src/nn/backend.js';
import type { TrainConfig } from '../src/train/config.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { AddingTask, addingDefaults } from '../src/train/tasks/adding.js';
import { runTraining, Trainer } from '../src/train/trainer.js';

const mm = new OrtBackend(1);
const dirs: string[] = [];
after(async () => {
  await mm.release();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'indrnn-threads-'));
  dirs.push(d);
  return d;
}

const task = new AddingTask({ seqLen: 12, evalSize: 16, seed: 3 });
function config(shards: number, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const c = resolveTrainConfig(task, { seqLen: 12 }, addingDefaults, {
    arch: 'residual',
    depth: 2,
    hidden: 16,
    batchNorm: true,
    dropout: 0.25,
    lr: 1e-2,
    batchSize: 7,
    steps: 6,
    evalEvery: 3,
    evalBatchSize: 8,
    shards,
  });
  return { ...c, ...overrides };
}

async function weightsAfter(c: TrainConfig, threads: number): Promise<Float32Array> {
  const trainer = new Trainer(c, task, { outDir: tempDir(), resume: false, mm, threads });
  try {
    await trainer.run();
    return trainer.net.store.data.slice();
  } finally {
    await trainer.close();
  }
}

describe('data-parallel training threads', () => {
  it('1 and 2 threads end with bit-identical weights (3 shards, BN, dropout, residual)', async () => {
    const one = await weightsAfter(config(3), 1);
    const two = await weightsAfter(config(3), 2);
    assert.equal(one.length, two.length);
    let differ = 0;
    for (let i = 0; i < one.length; i++) if (!Object.is(one[i], two[i])) differ++;
    assert.equal(differ, 0, `${differ} of ${one.length} values differ`);
  });

  it('a sharded step computes the whole batch maths: gradients and BN statistics as with one shard', async () => {
    const batch = task.trainBatch(0, 7);
    const gradsOf = async (shards: number, threads: number) => {
      const trainer = new Trainer(config(shards), task, { outDir: tempDir(), resume: false, mm, threads });
      try {
        await trainer.step(batch, 0);
        return { grad: trainer.net.store.grad.slice(), data: trainer.net.store.data.slice() };
      } finally {
        await trainer.close();
      }
    };
    const whole = await gradsOf(1, 1);
    const sharded = await gradsOf(3, 2);
    let scale = 0;
    let maxDiff = 0;
    for (let i = 0; i < whole.grad.length; i++) {
      scale = Math.max(scale, Math.abs(whole.grad[i]));
      maxDiff = Math.max(maxDiff, Math.abs(whole.grad[i] - sharded.grad[i]));
    }
    assert.ok(scale > 1e-3, `the gradient is too small to compare (max ${scale})`);
    assert.ok(maxDiff <= 1e-4 * scale, `gradients differ by up to ${maxDiff} (largest ${scale})`);
    // After one Adam step from the same weights, the weights and BN running statistics agree closely too.
    for (let i = 0; i < whole.data.length; i++)
      assert.ok(Math.abs(whole.data[i] - sharded.data[i]) < 1e-4, `value ${i}: ${whole.data[i]} vs ${sharded.data[i]}`);
  });

  it('a run interrupted and resumed on another thread count ends with the same bits', async () => {
    const c = config(2);
    const straight = await weightsAfter(c, 2);
    const dir = tempDir();
    const crashing = new Trainer(c, task, { outDir: dir, resume: false, mm, threads: 2, crashAfterSteps: 4 });
    await assert.rejects(crashing.run(), /simulated crash/);
    await crashing.close();
    const resumed = await runTraining({ ...c, shards: 5 }, task, { outDir: dir, resume: true, mm, threads: 1 });
    assert.equal(resumed.steps, 6);
    const t = new Trainer(c, task, { outDir: dir, resume: true, mm, threads: 1 });
    await t.close();
    assert.deepEqual(t.net.store.data, straight);
  });
});
