// Skeleton action recognition from a dataset cache (indrnn data build / synth): the paper's recipe of
// T segments with one frame each (random in training, the centre at test time), the shared
// preprocessing, and augmentation in training.
import { augment, DEFAULT_AUGMENT } from '../../data/augment.js';
import { openDataset, type SkeletonDataset } from '../../data/cache.js';
import { defaultPreprocessConfig } from '../../data/preprocess.js';
import { gatherFrames, sampleSegments } from '../../data/sampling.js';
import type { SplitName } from '../../data/splits.js';
import { seq } from '../../nn/seq.js';
import { Rng } from '../../util/rng.js';
import { EpochOrder, indexBatches } from '../epochs.js';
import type { Batch, Task, TaskDefaults } from '../task.js';

export interface SkeletonOptions {
  cache: string;
  split: SplitName;
  /** Frames given to the model: T segments, one frame each. */
  segments: number;
  augment: boolean;
  seed: number;
}

const AUGMENT_STREAM = 2;

export class SkeletonTask implements Task {
  readonly name = 'skeleton';
  readonly kind = 'classification';
  readonly inputSize: number;
  readonly numOutputs: number;
  readonly seqLen: number;
  readonly labels: readonly string[];
  private readonly train: SkeletonDataset;
  private readonly test: SkeletonDataset;
  private readonly order: EpochOrder;

  constructor(readonly options: SkeletonOptions) {
    const preprocess = defaultPreprocessConfig();
    this.train = openDataset(options.cache, { split: options.split, part: 'train', preprocess });
    this.test = openDataset(options.cache, { split: options.split, part: 'test', preprocess });
    if (this.train.count === 0) throw new Error(`${options.cache}: split ${options.split} has no training samples`);
    if (this.test.count === 0) throw new Error(`${options.cache}: split ${options.split} has no test samples`);
    this.order = new EpochOrder(this.train.count, options.seed);
    this.inputSize = this.train.frameSize;
    this.numOutputs = this.train.labels.length;
    this.seqLen = options.segments;
    this.labels = this.train.labels.map((l) => l.name);
  }

  /** x [T, B, D] from samples `indices` of `ds`; training draws a random frame per segment and augments. */
  private batch(ds: SkeletonDataset, indices: ArrayLike<number>, rng: Rng | null): Batch {
    const T = this.seqLen;
    const B = indices.length;
    const D = this.inputSize;
    const dims = { bodies: ds.bodies, joints: ds.joints };
    const x = new Float32Array(T * B * D);
    const labels = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const i = indices[b];
      let frames = ds.frames(i);
      let Ti = ds.length(i);
      if (rng && this.options.augment) ({ frames, T: Ti } = augment(frames, Ti, dims, DEFAULT_AUGMENT, rng));
      const sampled = gatherFrames(frames, D, sampleSegments(Ti, T, rng));
      for (let t = 0; t < T; t++) x.set(sampled.subarray(t * D, (t + 1) * D), (t * B + b) * D);
      labels[b] = ds.label(i);
    }
    return { x: seq(x, T, B, D), labels };
  }

  stepsPerEpoch(batchSize: number): number {
    return this.order.stepsPerEpoch(batchSize);
  }

  trainBatch(step: number, batchSize: number): Batch {
    return this.batch(
      this.train,
      this.order.batchIndices(step, batchSize),
      new Rng(this.options.seed, AUGMENT_STREAM, step),
    );
  }

  *evalBatches(batchSize: number): Iterable<Batch> {
    for (const indices of indexBatches(this.test.count, batchSize)) yield this.batch(this.test, indices, null);
  }

  describe() {
    const h = this.train.header;
    return {
      task: 'skeleton',
      cache: this.options.cache,
      split: this.options.split,
      trainSamples: this.train.count,
      testSamples: this.test.count,
      source: h.source,
      labels: this.train.labels.map((l) =>
        l.ntuAction === null ? { name: l.name } : { name: l.name, ntuAction: l.ntuAction },
      ),
      layout: this.train.layout,
      bodies: this.train.bodies,
      joints: this.train.joints,
      preprocessing: this.train.preprocess,
      frameRate: h.fps,
      window: this.seqLen,
      sampling: { kind: 'segments', segments: this.seqLen },
    };
  }
}

/** The authors' action-recognition recipe, scaled to 2 CPU cores: residual, BN, dropout, Adam, plateau. */
export const skeletonDefaults: TaskDefaults = {
  network: {
    arch: 'residual',
    depth: 2,
    hiddenSize: 128,
    batchNorm: true,
    dropout: 0.25,
    mag: 5,
    readout: 'last',
    clipRecurrent: true,
  },
  train: {
    batchSize: 64,
    evalBatchSize: 256,
    optimizer: { lr: 2e-3, weightDecay: 1e-4, gradClip: 10 },
  },
  schedule: 'plateau',
};
