// Detection models from untrimmed recordings: a tiny PKU-MMD-format folder written here (two-person
// skeletons, labelled intervals with pauses between) -> --untrimmed cache -> windows with a target at
// every step and a background class for the unlabelled frames -> training -> export with `background`
// -> indrnn eval --detection's figures, the same from the checkpoint and from the ONNX file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluateDetection } from '../src/cli/eval-detection.js';
import { checkpointPredictor, onnxPredictor } from '../src/cli/predict.js';
import { buildPkuMmdCache } from '../src/data/build-datasets.js';
import { CacheWriter } from '../src/data/cache.js';
import { fixedRateIndices } from '../src/data/sampling.js';
import { OrtBackend } from '../src/nn/backend.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import { DEFAULT_DECISION_RULE } from '../src/predict/segments.js';
import { exportCheckpoint } from '../src/train/checkpoint-to-onnx.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { SkeletonTask, skeletonDefaults } from '../src/train/tasks/skeleton.js';
import { BACKGROUND_LABEL } from '../src/train/tasks/untrimmed.js';
import { runTraining } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';
import { skeletonFrames } from './helpers/models.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-detect-'));
const raw = join(dir, 'pku');
const cache = join(dir, 'untrimmed.cache');
/** Recording -> its intervals (PKU-MMD class, first frame, last frame). */
const RECORDINGS: Record<string, [number, number, number][]> = {
  '0005-M': [
    [14, 20, 59],
    [16, 100, 139],
  ],
  '0006-M': [
    [16, 10, 49],
    [14, 90, 129],
  ],
  '0251-M': [
    [14, 30, 69],
    [16, 110, 149],
  ],
};
const T = 180;

before(() => {
  mkdirSync(join(raw, 'skeleton'), { recursive: true });
  mkdirSync(join(raw, 'label'));
  writeFileSync(join(raw, 'actions.csv'), 'label,action\n14,"handshaking"\n16,"hugging other person"\n');
  Object.entries(RECORDINGS).forEach(([id, intervals], r) => {
    const frames = skeletonFrames(T, 10 + r, 2) as number[][][][];
    const lines = frames.map((f) =>
      f
        .flat(2)
        .map((v) => v.toFixed(5))
        .join(' '),
    );
    writeFileSync(join(raw, 'skeleton', `${id}.txt`), `${lines.join('\n')}\n`);
    writeFileSync(join(raw, 'label', `${id}.txt`), intervals.map((iv) => `${iv.join(',')},2`).join('\n'));
  });
  buildPkuMmdCache({ raw, out: cache, untrimmed: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const options = {
  cache,
  split: 'recordings:1-249',
  sampling: { kind: 'rate' as const, fps: 10, window: 16, warmup: 3 },
  center: 'per-frame' as const,
  augment: true,
  seed: 1,
};

describe('detection training on untrimmed recordings', () => {
  it('adds the background class and gives every step its frame label (background between actions)', () => {
    const task = new SkeletonTask(options);
    assert.deepEqual(task.labels, ['handshaking', 'hugging other person', BACKGROUND_LABEL]);
    assert.equal(task.numOutputs, 3);
    assert.equal(task.readout, 'all');
    // Held-out recording 0251: windows of 16 steps every 16 steps, at 10 steps/s from 30 fps.
    const batches = [...task.evalBatches(64)];
    assert.equal(batches.length, 1);
    const b = batches[0];
    const steps = fixedRateIndices(T, 30, 10);
    assert.equal(b.x.B, Math.floor(steps.length / 16));
    const truth = (f: number) => {
      const iv = RECORDINGS['0251-M'].find(([, s, e]) => f >= s && f <= e);
      return iv ? (iv[0] === 14 ? 0 : 1) : 2;
    };
    for (let w = 0; w < b.x.B; w++)
      for (let k = 0; k < 16; k++) {
        const want = k < 3 ? -1 : truth(steps[w * 16 + k]);
        assert.equal(b.frameLabels![k * b.x.B + w], want, `window ${w} step ${k}`);
      }
    const { contract, info } = task.describe();
    assert.equal(contract.background, BACKGROUND_LABEL);
    assert.equal(contract.labels.at(-1)?.name, BACKGROUND_LABEL);
    assert.deepEqual([info.trainRecordings, info.testRecordings], [2, 1]);
    const a = task.trainBatch(3, 8);
    assert.deepEqual(task.trainBatch(3, 8).x.data, a.x.data, 'a batch is a pure function of (seed, step)');
    assert.ok([...a.frameLabels!].every((l) => l >= -1 && l <= 2));
    assert.ok([...a.frameLabels!].includes(2) && [...a.frameLabels!].some((l) => l === 0 || l === 1));
  });

  it('with input streams: the windows hold the joints and their motion, 0 at the first step of a window', () => {
    const plain = new SkeletonTask(options);
    const task = new SkeletonTask({ ...options, features: ['joints', 'motion'] });
    assert.equal(task.inputSize, 2 * plain.inputSize);
    const D = plain.inputSize;
    const [a] = [...plain.evalBatches(64)];
    const [b] = [...task.evalBatches(64)];
    assert.deepEqual([b.x.T, b.x.B, b.x.C], [a.x.T, a.x.B, 2 * D]);
    for (let k = 0; k < a.x.T; k++)
      for (let w = 0; w < a.x.B; w++) {
        const row = (k * a.x.B + w) * D;
        const joints = b.x.data.subarray(2 * row, 2 * row + D);
        assert.deepEqual(joints, a.x.data.subarray(row, row + D), `window ${w} step ${k}: joints`);
        const motion = b.x.data.subarray(2 * row + D, 2 * row + 2 * D);
        if (k === 0)
          assert.ok(
            motion.every((v) => v === 0),
            `window ${w}: no motion at its first step`,
          );
      }
  });

  it('holds whole recordings out for validation (a recording without an id counts as one of its own)', () => {
    // 7 videos, each filmed by 2 cameras (one recording id), then 6 recordings without an id.
    const w = new CacheWriter({ layout: 'kinect20', bodies: 1, labels: [{ name: 'a', ntuAction: null }], fps: 30 });
    const rng = new Rng(4);
    const recording = (id: string, meta: { recording?: number; camera: number }) => {
      const frameLabels = Int32Array.from({ length: 60 }, (_, t) => (t >= 20 && t < 40 ? 0 : -1));
      const raw = rng.fillUniform(new Float32Array(60 * 20 * 3), -1, 1);
      w.add({ id, raw, T: 60, label: -1, frameLabels, split: 'train', ...meta });
    };
    for (let video = 1; video <= 7; video++)
      for (const camera of [1, 2]) recording(`v${video}c${camera}`, { recording: video, camera });
    for (let k = 0; k < 6; k++) recording(`loose${k}`, { camera: 1 });
    recording('held-out', { recording: 99, camera: 1 });
    w.add({ ...w.added[w.count - 1], id: 'test', split: 'test' });
    const path = join(dir, 'videos.cache');
    w.write(path);
    const o = { ...options, cache: path, split: 'given' };
    // 21 training recordings in 14 groups (7 videos, 7 single recordings): whole recordings, about 0.3 x 21.
    const task = new SkeletonTask({ ...o, validation: 0.3 });
    assert.ok(task.hasValidation);
    const { info } = task.describe();
    assert.equal(info.validation.grouping, 'recording');
    const validation = info.validationRecordings ?? 0;
    assert.equal((info.trainRecordings ?? 0) + validation, 21);
    assert.ok(validation >= 5 && validation <= 8, `${validation} validation recordings`);
    assert.equal(info.testRecordings, 1);
    const windows = [...task.evalBatches(64, 'validation')].reduce((n, b) => n + b.x.B, 0);
    assert.equal(windows, info.validationSamples, 'evaluation windows of the validation recordings');
  });

  it('segment sampling is refused for untrimmed recordings, saying what to do', () => {
    assert.throws(
      () => new SkeletonTask({ ...options, sampling: { kind: 'segments', segments: 10 } }),
      /--sampling rate/,
    );
  });

  it('trains, exports with `background`, and eval --detection gives the same figures from the checkpoint and the ONNX file', async () => {
    const task = new SkeletonTask(options);
    const backend = new OrtBackend();
    try {
      // The options as the task's options schema gives them: what the checkpoint keeps.
      const stored = { cache, split: options.split, sampling: 'rate', fps: 10, window: 16, center: 'per-frame' };
      const config = resolveTrainConfig(task, stored, skeletonDefaults, {
        hidden: 8,
        depth: 1,
        batchSize: 8,
        epochs: 2,
      });
      const summary = await runTraining(config, task, { outDir: join(dir, 'run'), resume: false, mm: backend });
      const bytes = exportCheckpoint(summary.checkpoint, { name: 'tiny-detect' });
      const meta = validateModelBytes(bytes, 'tiny-detect.onnx');
      assert.equal(meta.background, BACKGROUND_LABEL);
      assert.equal(meta.labels[2].name, BACKGROUND_LABEL);
      const file = join(dir, 'tiny-detect.onnx');
      writeFileSync(file, bytes);
      const o = { cache, split: 'recordings:1-249', part: 'test' as const, rule: DEFAULT_DECISION_RULE };
      const fromOnnx = await onnxPredictor(file, 'cpu');
      const fromCheckpoint = await checkpointPredictor(summary.checkpoint);
      try {
        const a = await evaluateDetection(fromOnnx, o);
        const b = await evaluateDetection(fromCheckpoint, o);
        assert.equal(a.recordings, 1);
        assert.equal(a.frames, T);
        assert.equal(a.trueInstances, 2);
        assert.ok(a.frameAccuracy >= 0 && a.frameAccuracy <= 1);
        for (const th of ['0.1', '0.3', '0.5']) assert.ok(a.mAP[th] >= 0 && a.mAP[th] <= 1, `mAP@${th}`);
        assert.equal(a.frameAccuracy, b.frameAccuracy);
        assert.deepEqual(
          a.perRecording[0].segments.map((s) => [s.index, s.startFrame, s.endFrame]),
          b.perRecording[0].segments.map((s) => [s.index, s.startFrame, s.endFrame]),
        );
      } finally {
        await fromOnnx.close();
        await fromCheckpoint.close();
      }
    } finally {
      await backend.release();
    }
  });
});
