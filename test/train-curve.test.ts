// The loss curve pinned (llm.c's expected losses): a short deterministic run of each architecture, with
// batch norm and dropout, whose per-step training losses are written below. A change of numerics (init,
// a gradient, the optimiser, the data order) moves them and fails here, where a loose "it learns" bound
// would not. The tolerance allows what a different GEMM kernel (another CPU) changes, not a new curve.
// After an intended change of numerics, re-pin with PIN_CURVE=1 (prints the new values).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrtBackend } from '../src/nn/backend.js';
import { resolveTrainConfig, type TrainFlags } from '../src/train/resolve.js';
import { AddingTask, addingDefaults } from '../src/train/tasks/adding.js';
import { runTraining } from '../src/train/trainer.js';

const mm = new OrtBackend();
const dirs: string[] = [];
after(async () => {
  await mm.release();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Relative tolerance per step: float32 sums in another order move the 4th-5th digit, a real change the 2nd. */
const TOLERANCE = 2e-3;

const PINNED: Record<'plain' | 'residual', number[]> = {
  plain: [10.62546, 13.367, 5.947871, 2.304647, 5.471381, 4.303334, 3.724833, 2.325067],
  residual: [14.72889, 12.14627, 8.348557, 3.226033, 6.208511, 6.068127, 1.975539, 1.828492],
};

async function curve(arch: 'plain' | 'residual'): Promise<number[]> {
  const task = new AddingTask({ seqLen: 15, evalSize: 32, seed: 11 });
  const flags: TrainFlags = {
    arch,
    depth: arch === 'plain' ? 3 : 1,
    hidden: 24,
    batchNorm: true,
    dropout: 0.1,
    lr: 2e-3,
    batchSize: 16,
    steps: 8,
    evalEvery: 1,
    evalBatchSize: 32,
    seed: 5,
  };
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-curve-'));
  dirs.push(dir);
  const s = await runTraining(resolveTrainConfig(task, { seqLen: 15 }, addingDefaults, flags), task, {
    outDir: dir,
    resume: false,
    mm,
  });
  return s.history.map((h) => h.trainLoss);
}

describe('pinned loss curves', () => {
  for (const arch of ['plain', 'residual'] as const) {
    it(`${arch}: the first 8 training losses are the pinned ones`, async () => {
      const got = await curve(arch);
      if (process.env.PIN_CURVE) console.log(`${arch}: [${got.map((v) => v.toPrecision(7)).join(', ')}]`);
      assert.equal(got.length, PINNED[arch].length, `${got.length} steps, pinned ${PINNED[arch].length}`);
      got.forEach((v, i) => {
        const want = PINNED[arch][i];
        assert.ok(Math.abs(v - want) <= TOLERANCE * Math.abs(want), `step ${i + 1}: loss ${v}, pinned ${want}`);
      });
      assert.ok(got[7] < got[0], 'the curve goes down');
    });
  }
});
