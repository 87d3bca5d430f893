// Input streams (joints, bones, motions; src/data/features.ts): the numbers, the trainer's batches, and a
// model trained on them that takes the same joints as any skeleton model, with the same answers from its
// checkpoint and its ONNX export (HTTP predict's and `indrnn predict`'s path, rate-sampled).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkpointPredictor, onnxPredictor } from '../src/cli/predict.js';
import { buildNtuCache } from '../src/data/build.js';
import {
  createFeatureState,
  featureConfig,
  featureSequence,
  featureStepAt,
  parseFeatureList,
} from '../src/data/features.js';
import { getLayout } from '../src/data/layouts.js';
import { defaultPreprocessConfig, parsePreprocessConfig } from '../src/data/preprocess.js';
import { writeSynthDataset } from '../src/data/synth/dataset.js';
import { OrtBackend } from '../src/nn/backend.js';
import { inputSpecOf } from '../src/predict/input.js';
import { predictSteps, prepareSteps } from '../src/predict/sequence-prediction.js';
import { exportCheckpoint } from '../src/train/checkpoint-to-onnx.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { SkeletonTask, skeletonDefaults } from '../src/train/tasks/skeleton.js';
import { runTraining } from '../src/train/trainer.js';
import { skeletonFrames } from './helpers/models.js';

const ALL = ['joints', 'bones', 'motion', 'bone-motion'] as const;

describe('input streams: the numbers', () => {
  // Two joints (1's parent is 0), two bodies; body 1 absent at step 0.
  const cfg = { streams: [...ALL], parents: [-1, 0] };
  const steps = new Float32Array([
    // step 0: body 0 = (1,2,3), (2,4,6); body 1 absent
    1, 2, 3, 2, 4, 6, 0, 0, 0, 0, 0, 0,
    // step 1: body 0 moved by (1,0,0) and its second joint by a further (0,1,0); body 1 appears
    2, 2, 3, 3, 5, 6, 5, 5, 5, 6, 5, 5,
  ]);
  const out = featureSequence(cfg, 2, 2, steps, 2);
  const at = (t: number, stream: number) => Array.from(out.subarray(t * 48 + stream * 12, t * 48 + (stream + 1) * 12));

  it('joints as they are, bones = joint minus parent (0 at the root), in FEATURE_STREAMS order', () => {
    assert.equal(out.length, 2 * 4 * 12);
    assert.deepEqual(at(1, 0), Array.from(steps.subarray(12, 24)));
    assert.deepEqual(at(0, 1), [0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(at(1, 1), [0, 0, 0, 1, 3, 3, 0, 0, 0, 1, 0, 0]);
  });

  it('motion is the change since the previous step: 0 at the first step and for a body that just appeared', () => {
    assert.deepEqual(at(0, 2), new Array(12).fill(0));
    assert.deepEqual(at(0, 3), new Array(12).fill(0));
    assert.deepEqual(at(1, 2), [1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(at(1, 3), [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('fed step by step (a stream) gives the numbers of the whole sequence', () => {
    const s = createFeatureState(cfg, 2, 2);
    const one = new Float32Array(48);
    for (let t = 0; t < 2; t++) {
      featureStepAt(s, steps, t * 12, one, 0);
      assert.deepEqual(Array.from(one), Array.from(out.subarray(t * 48, (t + 1) * 48)), `step ${t}`);
    }
  });

  it('--features is checked: unknown or repeated names are refused; joints only is no config', () => {
    assert.deepEqual(parseFeatureList('motion,joints'), ['joints', 'motion']);
    assert.throws(() => parseFeatureList('joints,bone'), /unknown input stream 'bone' \(known: joints, bones/);
    assert.throws(() => parseFeatureList('joints,joints'), /'joints' is given twice/);
    assert.equal(featureConfig(['joints'], [-1, 0], 'x'), null);
    assert.throws(() => featureConfig(['bones'], [], 'mine'), /layout mine has no joint tree/);
    assert.deepEqual(featureConfig(['joints', 'motion'], null, 'x'), { streams: ['joints', 'motion'] });
  });

  it('a preprocessing config with streams is checked against its layout', () => {
    const base = defaultPreprocessConfig('kinect20', 1);
    const parents = [...getLayout('kinect20').parents];
    assert.doesNotThrow(() => parsePreprocessConfig({ ...base, features: { streams: ['joints', 'bones'], parents } }));
    assert.throws(
      () => parsePreprocessConfig({ ...base, features: { streams: ['joints', 'bones'] } }),
      /features.parents: required for joints,bones/,
    );
    assert.throws(
      () => parsePreprocessConfig({ ...base, features: { streams: ['joints', 'bones'], parents: [-1, 0] } }),
      /features.parents: has 2 entries, the layout has 20 joints/,
    );
    assert.throws(
      () => parsePreprocessConfig({ ...base, features: { streams: ['motion', 'joints'] } }),
      /features.streams: expected distinct streams in the order/,
    );
  });
});

describe('input streams: trained, exported and served', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-streams-'));
  const cache = join(dir, 'synth.cache');
  const backend = new OrtBackend();
  before(async () => {
    await writeSynthDataset({ out: join(dir, 'raw'), seed: 3, subjects: 3, replications: 1, actions: [8, 9], jobs: 1 });
    buildNtuCache({ raw: join(dir, 'raw'), out: cache });
  });
  after(async () => {
    await backend.release();
    rmSync(dir, { recursive: true, force: true });
  });
  const common = { cache, split: 'ntu60-xsub', center: 'first-frame' as const, augment: false, seed: 1 };

  it('the trainer gives F streams of B*J*3 per step, motion 0 at the first step, and keeps them in the contract', () => {
    const task = new SkeletonTask({ ...common, sampling: { kind: 'segments', segments: 6 }, features: ALL });
    assert.equal(task.inputSize, 4 * 150);
    const b = task.trainBatch(0, 3);
    assert.deepEqual([b.x.T, b.x.B, b.x.C], [6, 3, 600]);
    for (let r = 0; r < 3; r++) {
      const first = b.x.data.subarray(r * 600, (r + 1) * 600);
      assert.ok(
        first.subarray(0, 150).some((v) => v !== 0),
        'joints',
      );
      assert.ok(
        first.subarray(150, 300).some((v) => v !== 0),
        'bones',
      );
      assert.ok(
        first.subarray(300, 600).every((v) => v === 0),
        'no motion at the first step',
      );
    }
    const { contract } = task.describe();
    const pre = parsePreprocessConfig(contract.preprocessing);
    assert.deepEqual(pre.features, { streams: [...ALL], parents: [...getLayout('ntu25').parents] });
  });

  it('a rate-sampled model: its checkpoint and its ONNX export give the same predictions from the same joints', async () => {
    const options = { ...common, sampling: { kind: 'rate' as const, fps: 10, window: 8, warmup: 1 }, features: ALL };
    const task = new SkeletonTask(options);
    const stored = { cache, split: 'ntu60-xsub', sampling: 'rate', fps: 10, window: 8, warmup: 1 };
    const config = resolveTrainConfig(
      task,
      { ...stored, features: 'joints,bones,motion,bone-motion' },
      skeletonDefaults,
      {
        hidden: 8,
        depth: 1,
        batchSize: 6,
        epochs: 1,
      },
    );
    const summary = await runTraining(config, task, { outDir: join(dir, 'rate'), resume: false, mm: backend });
    const onnxPath = join(dir, 'streams.onnx');
    writeFileSync(onnxPath, exportCheckpoint(summary.checkpoint, { name: 'streams' }));
    const frames = skeletonFrames(120, 4, 2); // 4 s at 30 fps: 40 steps, staggered states past the window of 8
    const answers = [];
    for (const p of [await checkpointPredictor(summary.checkpoint), await onnxPredictor(onnxPath, 'cpu')]) {
      try {
        const m = p.metadata;
        assert.equal(m.input_size, 600);
        const spec = inputSpecOf(m);
        const steps = prepareSteps(m, spec, frames, { maxFrames: 1000, field: 'frames' });
        assert.equal(steps.n, 40);
        answers.push(await predictSteps((x, T) => p.submit(x, T), m, steps, { topK: 2, timeline: true }));
      } finally {
        await p.close();
      }
    }
    const [ts, onnx] = answers as { timeline: { probability: number; index: number }[] }[];
    assert.equal(ts.timeline.length, 40);
    ts.timeline.forEach((s, i) => {
      assert.equal(onnx.timeline[i].index, s.index, `step ${i}`);
      assert.ok(Math.abs(onnx.timeline[i].probability - s.probability) < 1e-4, `step ${i}`);
    });
  });
});
