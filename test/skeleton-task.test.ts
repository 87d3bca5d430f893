// The skeleton task end to end on a small synthetic NTU-format set: synth -> cache -> train -> eval -> export.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNtuCache } from '../src/data/build.js';
import { writeSynthDataset } from '../src/data/synth/dataset.js';
import { OrtBackend } from '../src/nn/backend.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { exportCheckpoint } from '../src/train/checkpoint-to-onnx.js';
import { classReport, networkRun } from '../src/train/confusion.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { lastDecayStep } from '../src/train/schedule.js';
import { SkeletonTask, skeletonDefaults } from '../src/train/tasks/skeleton.js';
import { runTraining, Trainer } from '../src/train/trainer.js';

describe('skeleton task', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-skel-'));
  const cache = join(dir, 'synth.cache');
  const backend = new OrtBackend();
  before(async () => {
    // Performers 1-4 (1, 2, 4 train in cross-subject; 3 tests), 3 cameras, 3 actions.
    await writeSynthDataset({
      out: join(dir, 'raw'),
      seed: 2,
      subjects: 4,
      replications: 1,
      actions: [8, 9, 23],
      jobs: 1,
    });
    buildNtuCache({ raw: join(dir, 'raw'), out: cache });
  });
  after(async () => {
    await backend.release();
    rmSync(dir, { recursive: true, force: true });
  });
  const options = {
    cache,
    split: 'ntu60-xsub' as const,
    sampling: { kind: 'segments' as const, segments: 10 },
    center: 'first-frame' as const,
    augment: true,
    seed: 1,
  };
  /** `options` as the task's options schema gives them: what a run's checkpoint keeps. */
  const stored = { cache, split: 'ntu60-xsub', segments: 10, center: 'first-frame' };

  it('gives [T, B, 150] batches of the split, labelled by NTU action, reproducible by step', () => {
    const task = new SkeletonTask(options);
    assert.equal(task.inputSize, 150);
    assert.deepEqual(task.labels?.length, 3);
    const a = task.trainBatch(0, 4);
    assert.deepEqual([a.x.T, a.x.B, a.x.C], [10, 4, 150]);
    assert.deepEqual(task.trainBatch(0, 4).x.data, a.x.data, 'the batch of a step is a pure function of (seed, step)');
    const { contract, info } = task.describe();
    assert.equal(contract.layout, 'ntu25');
    assert.equal(info.trainSamples + info.validationSamples + info.testSamples, 4 * 3 * 3);
    assert.equal(info.testSamples, 3 * 3, 'performer 3 is a cross-subject test subject');
    // 3 training performers are too few to hold one out: a tenth of each class's 9 clips, rounded, validates.
    assert.deepEqual([info.validationSamples, info.validation.grouping], [3, 'stratified']);
    assert.equal(task.hasValidation, true);
    assert.deepEqual(
      contract.labels.map((l) => l.ntuAction),
      [8, 9, 23],
    );
  });

  it("two bodies: the camera-x order by default, in the model's preprocessing and the run's options; sensor on request", () => {
    const task = new SkeletonTask(options);
    assert.equal(task.describe().contract.preprocessing?.bodyOrder, 'camera-x');
    assert.deepEqual(task.resolvedOptions, { bodyOrder: 'camera-x', features: 'joints' });
    const sensor = new SkeletonTask({ ...options, bodyOrder: 'sensor' });
    assert.equal(sensor.describe().contract.preprocessing?.bodyOrder, undefined, 'as configs before the option');
  });

  it('rate sampling: fixed-rate windows, a label per step after the warm-up, per-step readout', async () => {
    const rate = {
      ...options,
      sampling: { kind: 'rate' as const, fps: 10, window: 24, warmup: 2 },
      center: 'per-frame' as const,
    };
    const task = new SkeletonTask(rate);
    assert.equal(task.readout, 'all');
    const b = task.evalBatches(64)[Symbol.iterator]().next().value!;
    const { T, B } = b.x;
    assert.equal(T, 24);
    for (let s = 0; s < B; s++) {
      const labels: number[] = Array.from({ length: T }, (_, t) => b.frameLabels![t * B + s]);
      assert.equal(labels[T - 1], b.labels![s], 'the last step is always labelled');
      const first = labels.indexOf(b.labels![s]);
      assert.ok(first >= 2, 'the warm-up steps are unlabelled');
      assert.ok(labels.slice(first).every((l) => l === b.labels![s]));
    }
    const storedRate = { ...stored, sampling: 'rate', fps: 10, window: 24, warmup: 2, center: 'per-frame' };
    const config = resolveTrainConfig(task, storedRate, skeletonDefaults, {
      hidden: 8,
      depth: 1,
      batchSize: 9,
      epochs: 1,
    });
    assert.equal(config.network.readout, 'all');
    const summary = await runTraining(config, task, { outDir: join(dir, 'rate'), resume: false, mm: backend });
    const meta = validateModelBytes(exportCheckpoint(summary.checkpoint, { name: 'tiny-stream' }), 'tiny-stream.onnx');
    assert.deepEqual(meta.sampling, { kind: 'rate', fps: 10, window: 24 });
    assert.equal((meta.preprocessing as { center: string }).center, 'per-frame');
  });

  it('trains, reports per-class accuracy, and exports with the skeleton metadata', async () => {
    const task = new SkeletonTask(options);
    const config = resolveTrainConfig(task, stored, skeletonDefaults, {
      hidden: 16,
      depth: 1,
      batchSize: 9,
      epochs: 3,
    });
    const out = join(dir, 'run');
    const summary = await runTraining(config, task, { outDir: out, resume: false, mm: backend });
    assert.equal(summary.history.length, 3);
    // Its stored options leave bodyOrder out, as every run before the option did: read back, the run keeps
    // the sensor's order it was trained with (the default for new runs is camera-x).
    assert.equal(loadCheckpoint(summary.checkpoint).config.task.options.bodyOrder, 'sensor');
    const trainer = new Trainer(config, task, { outDir: out, resume: true, mm: backend });
    const report = await classReport(networkRun(trainer.net), task, 64);
    assert.equal(report.count, 9);
    assert.equal(
      report.confusion.flat().reduce((a, b) => a + b, 0),
      9,
    );
    assert.ok(
      Math.abs(report.accuracy - summary.finalTestMetric) < 1e-9,
      'the report agrees with the training evaluation',
    );
    // The evaluations during training read the validation part; the model is the weights of the best one
    // among the evaluations after the learning-rate decay (the decay at 80 % leaves only the last one here).
    assert.equal(summary.selection, 'validation');
    assert.ok(summary.history.every((h) => h.evalPart === 'validation'));
    const from = lastDecayStep(config.schedule, config.steps);
    const after = summary.history.filter((h) => h.step >= from);
    assert.ok(from > summary.history[1].step && after.length === 1, `decay at ${from}`);
    const best = after[0].evalMetric;
    assert.equal(summary.validation?.bestMetric, best);
    assert.equal(summary.bestStep, after[0].step);
    assert.equal(
      (await classReport(networkRun(trainer.net), task, 64, 'validation')).accuracy,
      best,
      'the chosen weights',
    );
    const meta = validateModelBytes(exportCheckpoint(summary.checkpoint, { name: 'tiny' }), 'tiny.onnx');
    assert.equal(meta.layout, 'ntu25');
    assert.equal(meta.bodies, 2);
    assert.deepEqual(meta.sampling, { kind: 'segments', segments: 10 });
    assert.equal(meta.labels[2].ntuAction, 23);
  });

  it('--validation 0: no validation part, the whole training part trains and the test part is evaluated as before', async () => {
    const task = new SkeletonTask({ ...options, validation: 0 });
    assert.equal(task.hasValidation, false);
    const { info } = task.describe();
    assert.deepEqual([info.trainSamples, info.validationSamples, info.testSamples], [27, 0, 9]);
    assert.throws(() => [...task.evalBatches(64, 'validation')], /no validation part \(the validation fraction is 0\)/);
    const config = resolveTrainConfig(task, { ...stored, validation: 0 }, skeletonDefaults, {
      hidden: 8,
      depth: 1,
      batchSize: 9,
      epochs: 1,
    });
    const logs: string[] = [];
    const reporter = { start() {}, update() {}, stop() {}, log: (m: string) => logs.push(m) };
    const s = await runTraining(config, task, { outDir: join(dir, 'noval'), resume: false, mm: backend, reporter });
    assert.equal(s.selection, 'test');
    assert.equal(s.validation, null);
    assert.equal(s.history[0].evalPart, 'test');
    assert.ok(
      logs.some((l) => /^warning: no validation part .*read the test part/.test(l)),
      logs.join('\n'),
    );
  });
  it('split all: every sample trains; without a validation part nothing is evaluated and the final weights are the model', async () => {
    const task = new SkeletonTask({ ...options, split: 'all', validation: 0 });
    assert.deepEqual([task.hasTest, task.hasValidation], [false, false]);
    const { info } = task.describe();
    assert.deepEqual([info.trainSamples, info.validationSamples, info.testSamples], [36, 0, 0]);
    const config = resolveTrainConfig(task, { ...stored, split: 'all', validation: 0 }, skeletonDefaults, {
      hidden: 8,
      depth: 1,
      batchSize: 9,
      epochs: 2,
    });
    const logs: string[] = [];
    const reporter = { start() {}, update() {}, stop() {}, log: (m: string) => logs.push(m) };
    const out = join(dir, 'all');
    const s = await runTraining(config, task, { outDir: out, resume: false, mm: backend, reporter });
    assert.equal(s.selection, 'none');
    assert.deepEqual([s.validation, s.bestTestMetric, s.steps], [null, null, 8]);
    assert.ok(Number.isNaN(s.finalTestMetric));
    assert.ok(s.history.length > 0 && s.history.every((h) => h.evalPart === 'none' && Number.isFinite(h.trainLoss)));
    assert.ok(
      logs.some((l) => /nothing is held out .*final weights are the model/.test(l)),
      logs.join('\n'),
    );
    // The final weights are saved and export.
    validateModelBytes(exportCheckpoint(join(out, 'checkpoint.safetensors'), { name: 'all' }), 'all');
    const plateau = resolveTrainConfig(task, { ...stored, split: 'all', validation: 0 }, skeletonDefaults, {
      hidden: 8,
      depth: 1,
      epochs: 1,
      schedule: 'plateau',
    });
    assert.throws(
      () => new Trainer(plateau, task, { outDir: join(dir, 'all-plateau'), resume: false, mm: backend, reporter }),
      /nothing is held out .*plateau schedule and --target need evaluations/,
    );
  });

  it('split all with a validation part: the weights are chosen on it and no test part is read', async () => {
    const task = new SkeletonTask({ ...options, split: 'all' });
    assert.deepEqual([task.hasTest, task.hasValidation], [false, true]);
    const config = resolveTrainConfig(task, { ...stored, split: 'all' }, skeletonDefaults, {
      hidden: 8,
      depth: 1,
      batchSize: 9,
      epochs: 2,
    });
    const s = await runTraining(config, task, { outDir: join(dir, 'all-val'), resume: false, mm: backend });
    assert.equal(s.selection, 'validation');
    assert.ok(s.validation !== null && Number.isFinite(s.validation.bestMetric));
    assert.equal(s.bestTestMetric, null, 'no test part was read');
  });

  it('a split that leaves the test part empty by accident is still refused', () => {
    assert.throws(
      () => new SkeletonTask({ ...options, split: 'subjects:1-4' }),
      /split subjects:1-4 has no test samples/,
    );
  });
});
