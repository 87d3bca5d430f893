// Training behaviour users rely on: runs reproduce, a crash loses nothing, schedules act, tasks learn.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrtBackend } from '../src/nn/backend.js';
import { loadCheckpoint, loadNetwork } from '../src/train/checkpoint.js';
import { modelMetadata } from '../src/train/checkpoint-to-onnx.js';
import type { TrainConfig } from '../src/train/config.js';
import { evaluate } from '../src/train/evaluate.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { lastDecayStep, plateauAction, stepDecayLr } from '../src/train/schedule.js';
import type { EvalPart } from '../src/train/task.js';
import { AddingTask, addingBatch, addingDefaults } from '../src/train/tasks/adding.js';
import { runTraining, SimulatedCrash, Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const mm = new OrtBackend();
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'indrnn-train-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await mm.release();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function addingConfig(task: AddingTask, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const config = resolveTrainConfig(task, { seqLen: task.seqLen }, addingDefaults, {
    depth: 2,
    hidden: 16,
    batchNorm: true,
    dropout: 0.1,
    lr: 2e-3,
    batchSize: 16,
    steps: 40,
    evalEvery: 10,
    evalBatchSize: 100,
    seed: 3,
  });
  return { ...config, ...overrides };
}

describe('adding problem data', () => {
  it('has exactly one marker in each half and the sum of the marked values as target', () => {
    const T = 11;
    const B = 7;
    const { x, values } = addingBatch(new Rng(1), T, B);
    const half = Math.floor(T / 2);
    for (let b = 0; b < B; b++) {
      const marked: number[] = [];
      for (let t = 0; t < T; t++) if (x.data[(t * B + b) * 2 + 1] === 1) marked.push(t);
      assert.equal(marked.length, 2);
      assert.ok(marked[0] < half && marked[1] >= half, `markers at ${marked}`);
      const sum = x.data[(marked[0] * B + b) * 2] + x.data[(marked[1] * B + b) * 2];
      assert.ok(Math.abs(sum - values![b]) < 1e-6);
    }
  });
});

describe('training runs', () => {
  it('a crashed run resumed from its checkpoint ends with the weights of an uninterrupted run', async () => {
    const task = new AddingTask({ seqLen: 12, evalSize: 100, seed: 3 });
    const config = addingConfig(task);
    const whole = await runTraining(config, task, { outDir: tempDir(), resume: false, mm });
    const wholeWeights = loadCheckpoint(whole.checkpoint).tensors;

    const dir = tempDir();
    await assert.rejects(
      new Trainer(config, task, { outDir: dir, resume: false, mm, crashAfterSteps: 25 }).run(),
      SimulatedCrash,
    );
    assert.equal(
      loadCheckpoint(join(dir, 'checkpoint.safetensors')).state.step,
      20,
      'last checkpoint before the crash',
    );
    const resumed = await runTraining(config, task, { outDir: dir, resume: true, mm });

    assert.equal(resumed.steps, 40);
    assert.equal(resumed.finalTestMetric, whole.finalTestMetric);
    const resumedWeights = loadCheckpoint(resumed.checkpoint).tensors;
    for (const [name, t] of wholeWeights) {
      if (!name.startsWith('model.')) continue;
      assert.deepEqual(resumedWeights.get(name)!.data, t.data, `${name} differs after resume`);
    }
    assert.equal(resumed.history.length, whole.history.length);
  });

  it('the same seed gives the same run, another seed another', async () => {
    const task = new AddingTask({ seqLen: 12, evalSize: 100, seed: 3 });
    const a = await runTraining(addingConfig(task, { steps: 10 }), task, { outDir: tempDir(), resume: false, mm });
    const b = await runTraining(addingConfig(task, { steps: 10 }), task, { outDir: tempDir(), resume: false, mm });
    const c = await runTraining(addingConfig(task, { steps: 10, seed: 4 }), task, {
      outDir: tempDir(),
      resume: false,
      mm,
    });
    assert.equal(a.finalTrainLoss, b.finalTrainLoss);
    assert.notEqual(a.finalTrainLoss, c.finalTrainLoss);
  });

  it('learns the adding problem (T = 30) well past the predict-1.0 baseline of 0.167', async () => {
    const task = new AddingTask({ seqLen: 30, evalSize: 200, seed: 1 });
    const config = resolveTrainConfig(task, {}, addingDefaults, {
      hidden: 32,
      lr: 2e-3,
      batchSize: 32,
      steps: 300,
      evalEvery: 100,
      seed: 1,
    });
    const s = await runTraining(config, task, { outDir: tempDir(), resume: false, mm });
    assert.ok(s.finalTestMetric < 0.02, `test MSE ${s.finalTestMetric} after 300 steps`);
    assert.ok(s.history[0].evalMetric > s.finalTestMetric, 'the loss curve goes down');
    const written = JSON.parse(readFileSync(join(s.checkpoint, '..', 'summary.json'), 'utf8'));
    assert.equal(written.steps, 300);
  });
});

describe('learning-rate schedules', () => {
  it('step decay multiplies by gamma every `every` steps', () => {
    const s = { kind: 'step', every: 10, gamma: 0.5 } as const;
    assert.equal(stepDecayLr(1, s, 9), 1);
    assert.equal(stepDecayLr(1, s, 10), 0.5);
    assert.equal(stepDecayLr(1, s, 25), 0.25);
  });

  it('the last decay within a run: where the chosen weights may come from', () => {
    const s = { kind: 'step', every: 10, gamma: 0.5 } as const;
    assert.equal(lastDecayStep(s, 25), 20);
    assert.equal(lastDecayStep(s, 20), 10, 'a decay at the last step itself changes nothing that is evaluated');
    assert.equal(lastDecayStep(s, 10), 0, 'no decay within the run');
    assert.equal(lastDecayStep({ kind: 'step', every: 10, gamma: 1 }, 25), 0, 'gamma 1 never decays');
    assert.equal(lastDecayStep({ kind: 'plateau', patience: 2, factor: 10, minLr: 1e-4 }, 25), 0);
  });

  it('plateau waits `patience` evaluations, then decays, then stops below the floor', () => {
    const s = { kind: 'plateau', patience: 2, factor: 10, minLr: 1e-4 } as const;
    assert.equal(plateauAction(s, true, 5, 1e-2), 'improved');
    assert.equal(plateauAction(s, false, 0, 1e-2), 'wait');
    assert.equal(plateauAction(s, false, 1, 1e-2), 'decay');
    assert.equal(plateauAction(s, false, 1, 5e-4), 'stop');
  });

  it('a plateau run restores its best weights when it decays', async () => {
    const task = new AddingTask({ seqLen: 12, evalSize: 100, seed: 3 });
    // lr so high that evaluations get worse: the trainer must fall back to the best weights.
    const config = addingConfig(task, {
      schedule: { kind: 'plateau', patience: 1, factor: 10, minLr: 1e-9 },
      steps: 30,
    });
    config.optimizer = { ...config.optimizer, lr: 0.5 };
    const trainer = new Trainer(config, task, { outDir: tempDir(), resume: false, mm });
    const s = await trainer.run();
    const decays = s.history.filter((h, i) => i > 0 && h.lr < s.history[i - 1].lr).length;
    if (decays > 0) assert.ok(trainer.state.lr < 0.5, 'lr was divided');
    assert.ok(s.validation !== null && s.validation.bestMetric <= Math.min(...s.history.map((h) => h.evalMetric)));
  });
});

/** The adding task, counting how often its test part is read. */
class CountingAddingTask extends AddingTask {
  testReads = 0;
  override *evalBatches(batchSize: number, part: EvalPart = 'test') {
    if (part === 'test') this.testReads++;
    yield* super.evalBatches(batchSize, part);
  }
}

describe('model selection on a validation part', () => {
  it('evaluates on validation, keeps the weights of the best evaluation as the model and reads the test part once', async () => {
    const task = new CountingAddingTask({ seqLen: 12, evalSize: 100, seed: 3 });
    // lr so high that later evaluations get worse: the chosen weights are not the last ones.
    const config = addingConfig(task, { steps: 40 });
    config.optimizer = { ...config.optimizer, lr: 0.2 };
    const logs: string[] = [];
    const reporter = { start() {}, update() {}, stop() {}, log: (m: string) => logs.push(m) };
    const trainer = new Trainer(config, task, { outDir: tempDir(), resume: false, mm, reporter });
    const s = await trainer.run();
    assert.equal(task.testReads, 1, 'the test part is read once');
    assert.equal(s.selection, 'validation');
    assert.ok(s.history.every((h) => h.evalPart === 'validation'));
    const best = s.history.reduce((a, h) => (h.evalMetric < a.evalMetric ? h : a));
    assert.deepEqual(
      [s.validation?.bestMetric, s.validation?.bestStep, s.bestStep],
      [best.evalMetric, best.step, best.step],
    );
    assert.ok(best.step < 40, `the last evaluation is the best (${best.step}): no selection to see`);
    assert.equal(s.validation?.finalMetric, s.history.at(-1)?.evalMetric);
    // The model (in memory and in the checkpoint) is the chosen weights: their figures, not the last ones'.
    assert.equal((await evaluate(trainer.net, task, 100, 'validation')).metric, best.evalMetric);
    const test = await evaluate(trainer.net, task, 100, 'test');
    assert.deepEqual([s.finalTestMetric, s.finalTestLoss, s.bestTestMetric], [test.metric, test.loss, test.metric]);
    const { net } = loadNetwork(s.checkpoint, mm);
    assert.equal((await evaluate(net, task, 100, 'validation')).metric, best.evalMetric);
    assert.ok(
      logs.includes(
        `test mse ${test.metric.toPrecision(4)} (weights of step ${best.step}, validation ${best.evalMetric.toPrecision(4)})`,
      ),
      logs.join('\n'),
    );
    const meta = modelMetadata(loadCheckpoint(s.checkpoint), s.checkpoint, {});
    const training = JSON.parse(meta.training);
    assert.deepEqual(
      [
        training.finalTestMetric,
        training.bestTestMetric,
        training.validationMetric,
        training.chosenStep,
        training.selection,
      ],
      [test.metric, test.metric, best.evalMetric, best.step, 'validation'],
    );
  });

  it('a finished run given more steps goes on from its last weights: the model of a run that long from the start', async () => {
    const task = new AddingTask({ seqLen: 12, evalSize: 100, seed: 3 });
    const long = addingConfig(task, { steps: 40 });
    long.optimizer = { ...long.optimizer, lr: 0.2 };
    const whole = await runTraining(long, task, { outDir: tempDir(), resume: false, mm });
    const dir = tempDir();
    const short = await runTraining({ ...long, steps: 30 }, task, { outDir: dir, resume: false, mm });
    assert.ok(short.validation!.bestStep < 30, 'the short run chose earlier weights than its last');
    const resumed = await runTraining(long, task, { outDir: dir, resume: true, mm });
    const curve = (h: typeof whole.history) => h.map((e) => [e.step, e.trainLoss, e.evalMetric]);
    assert.deepEqual(curve(resumed.history), curve(whole.history));
    assert.equal(resumed.finalTestMetric, whole.finalTestMetric);
    const a = loadCheckpoint(whole.checkpoint).tensors;
    const b = loadCheckpoint(resumed.checkpoint).tensors;
    for (const [name, t] of a) assert.deepEqual(b.get(name)?.data, t.data, `${name} differs`);
  });
});
