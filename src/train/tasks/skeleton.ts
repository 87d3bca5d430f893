// Skeleton action recognition from a dataset cache (indrnn data build / synth), with the shared
// preprocessing and augmentation in training, and one of two samplings:
//  - 'segments' (the paper's): T equal segments with one frame each (random in training, the centre at
//    test time); whole actions only; the classifier reads the last step.
//  - 'rate' (for streaming): frames resampled causally to `fps` steps per second, windows of `window`
//    steps (a random crop in training, the centre at test time; shorter actions are preceded by their
//    first frame held still), a label at every step after a short warm-up, so per-frame predictions mean
//    something on a live stream.
// A cache of untrimmed recordings (labels per frame only, e.g. PKU-MMD --untrimmed) with rate sampling
// trains a detection model: windows cut from the whole recordings, a target at every step, and an extra
// background class ("no action") for the frames between actions (untrimmed.ts).
// A validation part (10 % by default) is carved out of the training part (split-spec.ts, carveValidation:
// whole recordings, else whole subjects, else per class): the trainer chooses weights on it and reads the
// test part once, at the end.
import { type AugmentConfig, augment, DEFAULT_AUGMENT } from '../../data/augment.js';
import type { BodyOrderRule } from '../../data/body-order.js';
import { openDataset, type SkeletonDataset, splitParts } from '../../data/cache.js';
import { type FeatureStream, featureConfig, featureSequence } from '../../data/features.js';
import { layoutJson } from '../../data/layout-file.js';
import { defaultPreprocessConfig, inputDims } from '../../data/preprocess.js';
import { fixedRateIndices, gatherFrames, sampleSegments } from '../../data/sampling.js';
import {
  carveValidation,
  classesMissingFromTraining,
  keepPerClass,
  parseSplit,
  splitTestsNothing,
  type ValidationSample,
} from '../../data/split-spec.js';
import { seq } from '../../nn/seq.js';
import type { ModelContract } from '../../onnx/metadata.js';
import { Rng } from '../../util/rng.js';
import { EpochOrder, indexBatches } from '../epochs.js';
import type { Batch, EvalPart, Task, TaskDefaults } from '../task.js';
import { BACKGROUND_LABEL, isUntrimmed, UntrimmedWindows } from './untrimmed.js';

export type SkeletonSampling =
  | { kind: 'segments'; segments: number }
  /** warmup: steps at the start of each action left unlabelled (too early to tell). */
  | { kind: 'rate'; fps: number; window: number; warmup: number };

export interface SkeletonOptions {
  cache: string;
  /** A split as written on the command line (split-spec.ts): 'ntu60-xsub', 'subjects:1,3', 'given', 'random:0.2'... */
  split: string;
  sampling: SkeletonSampling;
  /** Centring of the preprocessing: 'first-frame' keeps displacement; 'per-frame' (pose only) suits long streams. */
  center: 'first-frame' | 'per-frame';
  /** View alignment of the preprocessing; default 'full' for 3D layouts, 'none' for 2D. */
  viewAlign?: 'none' | 'yaw' | 'full';
  /** Which body comes first in preprocessing (body-order.ts); default 'camera-x' for two or more bodies. */
  bodyOrder?: BodyOrderRule;
  /** Training augmentation: largest rotation about the vertical, degrees (default DEFAULT_ROTATE_DEG). */
  rotateDeg?: number;
  augment: boolean;
  /**
   * Input streams (features.ts): joints, bones, their motions; concatenated per step (early fusion).
   * Default joints only.
   */
  features?: readonly FeatureStream[];
  /**
   * Fraction of the training part held out as the validation part (default DEFAULT_VALIDATION_FRACTION;
   * 0: none, and the trainer selects on the test part).
   */
  validation?: number;
  /** Only these classes (comma-separated names), renumbered in this order; absent: all of the cache's. */
  classes?: string;
  /** Few-shot: at most this many training clips per class (seeded by `seed`), drawn after the validation carve. */
  perClass?: number;
  seed: number;
}

const AUGMENT_STREAM = 2;
/** Rotation augmentation of the default recipe (docs/data.md, "The default recipe"). */
export const DEFAULT_ROTATE_DEG = 45;
/**
 * Validation part of the default recipe: a tenth of the training part, the least that holds a whole subject
 * of N-UCLA's 10 (or 5 of PKU-MMD's ~50 training videos) while the small real sets keep 90 % to train on.
 */
export const DEFAULT_VALIDATION_FRACTION = 0.1;
/** Seed of the validation carve: fixed, so runs of any training seed share one training and validation part. */
export const VALIDATION_SEED = 1;

/** A held-out part: its samples and, for detection, their evaluation windows. */
interface HeldOut {
  ds: SkeletonDataset;
  windows: UntrimmedWindows | null;
}

/**
 * The input streams a recipe uses unless told: the joints alone for 3D data; for 2D keypoints the joints and
 * their motions, which won on validation by 5-6 points on both seeds on Penn Action, the 2D set we hold, and
 * tied the joints on 3D (BENCHMARKS.md, "Input streams").
 */
export function defaultFeatures(dims: number): readonly FeatureStream[] {
  return dims === 2 ? ['joints', 'motion'] : ['joints'];
}

export class SkeletonTask implements Task {
  readonly name = 'skeleton';
  readonly kind = 'classification';
  readonly inputSize: number;
  readonly numOutputs: number;
  readonly seqLen: number;
  readonly labels: readonly string[];
  readonly readout: 'last' | 'all';
  readonly warnings: readonly string[];
  readonly hasValidation: boolean;
  readonly hasTest: boolean;
  /** The body order its preprocessing uses (options.bodyOrder, or the default for the cache's bodies). */
  readonly bodyOrder: BodyOrderRule;
  /** Options resolved from the data, stored with the run so that it reads back the same. */
  get resolvedOptions(): Record<string, unknown> {
    return { bodyOrder: this.bodyOrder, features: this.features.join(',') };
  }
  /** The input streams (options.features, or the default for the cache's dimensions). */
  readonly features: readonly FeatureStream[];
  readonly validationNote: string;
  private readonly augmentConfig: AugmentConfig;
  private readonly train: SkeletonDataset;
  private readonly test: HeldOut;
  private readonly validation: HeldOut | null;
  private readonly carve: { fraction: number; grouping: string | null; groups: number };
  private readonly order: EpochOrder;
  /** Detection training on untrimmed recordings: the training windows; null for clips. */
  private readonly detection: { train: UntrimmedWindows; stride: number } | null;

  constructor(readonly options: SkeletonOptions) {
    // One read of the cache (100+ MB for the default set), then views of its two parts. The layout and the
    // body count are the cache's; only the centring is the task's choice.
    const probe = openDataset(options.cache);
    // 'full' alignment (torso upright as well as facing the camera) by default for 3D data: Kinects look
    // down at people, and yaw alone leaves a tilt that differs per camera (docs/data.md, the default recipe).
    const layout = probe.jointLayout;
    // Two people in a canonical order unless asked otherwise: which one the sensor lists first is no role
    // (it won on validation on PKU-MMD: BENCHMARKS.md, "PKU-MMD per camera"). Stored with the run's options.
    this.bodyOrder = options.bodyOrder ?? (probe.bodies >= 2 ? 'camera-x' : 'sensor');
    this.features = options.features ?? defaultFeatures(layout.dims);
    const features = featureConfig(this.features, layout.parents, layout.name);
    const preprocess = {
      ...defaultPreprocessConfig(layout, probe.bodies, {
        center: options.center,
        viewAlign: options.viewAlign ?? (layout.dims === 2 ? 'none' : 'full'),
        ...(this.bodyOrder !== 'sensor' ? { bodyOrder: this.bodyOrder } : {}),
      }),
      ...(features ? { features } : {}),
    };
    this.augmentConfig = { ...DEFAULT_AUGMENT, rotateDeg: options.rotateDeg ?? DEFAULT_ROTATE_DEG };
    const all = withClasses(openDataset(options.cache, { preprocess }), options.classes, options.cache);
    const parts = splitParts(all, options.split, options.cache);
    // Whole recordings with only per-frame labels (label -1, e.g. PKU-MMD --untrimmed) train a detection
    // model (rate sampling only); otherwise only labelled clips are samples.
    const untrimmed = isUntrimmed(all);
    if (untrimmed && options.sampling.kind !== 'rate')
      throw new Error(
        `${options.cache}: untrimmed recordings (labels per frame) train a detection model with --sampling rate; segment sampling needs trimmed clips (build without --untrimmed)`,
      );
    const labelled = (i: number) => untrimmed || all.label(i) >= 0;
    const indices = (part: 'train' | 'test') => parts.flatMap((p, i) => (p === part && labelled(i) ? [i] : []));
    if (!parts.some((_, i) => labelled(i)))
      throw new Error(
        `${options.cache}: no labelled clip (only recordings with per-frame labels); the skeleton task trains on labelled clips: build trimmed clips (without --untrimmed)`,
      );
    const trainPart = indices('train');
    const test = all.subset(indices('test'));
    if (trainPart.length === 0) throw new Error(`${options.cache}: split ${options.split} has no training samples`);
    this.hasTest = test.count > 0;
    if (!this.hasTest && !splitTestsNothing(parseSplit(options.split)))
      throw new Error(`${options.cache}: split ${options.split} has no test samples`);
    const fraction = options.validation ?? DEFAULT_VALIDATION_FRACTION;
    const carve = carveValidation(validationSamples(all, trainPart, untrimmed), fraction, VALIDATION_SEED);
    this.carve = { fraction, grouping: carve.grouping, groups: carve.groups };
    const trainIndices = carve.train.map((k) => trainPart[k]);
    if (options.perClass !== undefined && untrimmed)
      throw new Error(`${options.cache}: --per-class takes clips; these are untrimmed recordings`);
    this.train = all.subset(
      options.perClass === undefined
        ? trainIndices
        : keepPerClass(
            trainIndices.map((i) => ({ label: all.label(i) })),
            options.perClass,
            options.seed,
          ).map((k) => trainIndices[k]),
    );
    const validation = carve.validation.length > 0 ? all.subset(carve.validation.map((k) => trainPart[k])) : null;
    const what = untrimmed ? 'recordings' : 'clips';
    this.validationNote = validation
      ? `validation: ${validation.count} of ${trainPart.length} training ${what} (${carveText(carve.grouping, carve.groups)}), held out of training`
      : fraction === 0
        ? 'the validation fraction is 0'
        : `${trainPart.length} training ${what} are too few to hold out ${fraction} of them for validation without taking a class's last one`;
    const labels = Array.from({ length: all.count }, (_, i) => all.label(i));
    const missing = untrimmed
      ? []
      : classesMissingFromTraining(
          labels,
          parts,
          all.labels.map((l) => l.name),
        );
    this.warnings =
      missing.length > 0
        ? [
            `split ${options.split} leaves ${missing.length} class(es) out of training, which the model cannot learn: ${missing.join(', ')}`,
          ]
        : [];
    const K = all.labels.length;
    let heldOut = (ds: SkeletonDataset): HeldOut => ({ ds, windows: null });
    if (untrimmed && options.sampling.kind === 'rate') {
      const s = options.sampling;
      const o = { fps: s.fps, window: s.window, warmup: s.warmup };
      const stride = Math.max(1, Math.floor(s.window / 2));
      this.detection = {
        train: new UntrimmedWindows(
          this.train,
          { ...o, augment: options.augment ? this.augmentConfig : null },
          K,
          stride,
        ),
        stride,
      };
      heldOut = (ds) => ({ ds, windows: new UntrimmedWindows(ds, { ...o, augment: null }, K, s.window) });
    } else this.detection = null;
    this.test = heldOut(test);
    this.validation = validation ? heldOut(validation) : null;
    this.hasValidation = validation !== null;
    this.order = new EpochOrder(this.detection ? this.detection.train.windows.length : this.train.count, options.seed);
    this.inputSize = inputDims(preprocess).inputSize;
    this.labels = [...this.train.labels.map((l) => l.name), ...(this.detection ? [BACKGROUND_LABEL] : [])];
    this.numOutputs = this.labels.length;
    this.seqLen = options.sampling.kind === 'segments' ? options.sampling.segments : options.sampling.window;
    this.readout = options.sampling.kind === 'rate' ? 'all' : 'last';
  }

  /** x [T, B, D] from samples `indices` of `ds`; training (rng given) draws random frames/crops and augments. */
  private batch(ds: SkeletonDataset, indices: ArrayLike<number>, rng: Rng | null): Batch {
    const T = this.seqLen;
    const B = indices.length;
    const D = this.inputSize;
    const D0 = ds.frameSize;
    const dims = { bodies: ds.bodies, joints: ds.joints, layout: ds.jointLayout };
    const features = ds.preprocess.features;
    const x = new Float32Array(T * B * D);
    const labels = new Int32Array(B);
    const frameLabels = this.options.sampling.kind === 'rate' ? new Int32Array(T * B) : undefined;
    for (let b = 0; b < B; b++) {
      const i = indices[b];
      let frames = ds.frames(i);
      let Ti = ds.length(i);
      if (rng && this.options.augment) ({ frames, T: Ti } = augment(frames, Ti, dims, this.augmentConfig, rng));
      labels[b] = ds.label(i);
      const { steps, firstReal, lead } = this.stepIndices(Ti, ds.header.fps, rng);
      const sampled = featureSequence(features, ds.bodies, ds.joints, gatherFrames(frames, D0, steps), steps.length);
      for (let t = 0; t < T; t++) x.set(sampled.subarray((t + lead) * D, (t + lead + 1) * D), (t * B + b) * D);
      if (frameLabels && this.options.sampling.kind === 'rate') {
        const labelled = firstReal + this.options.sampling.warmup;
        for (let t = 0; t < T; t++) frameLabels[t * B + b] = t >= labelled || t === T - 1 ? labels[b] : -1;
      }
    }
    return { x: seq(x, T, B, D), labels, frameLabels };
  }

  /**
   * Source-frame indices of the T model steps for a sequence of Ti frames recorded at `fps`, preceded by
   * `lead` steps (0 or 1) that only give the first step its motion, as a stream sees it (rate sampling,
   * a window that does not start the sequence), and the first step that is not padding (rate sampling holds
   * the first frame still before a short action).
   */
  private stepIndices(
    Ti: number,
    fps: number,
    rng: Rng | null,
  ): { steps: Int32Array; firstReal: number; lead: number } {
    const s = this.options.sampling;
    if (s.kind === 'segments') return { steps: sampleSegments(Ti, s.segments, rng), firstReal: 0, lead: 0 };
    const all = fixedRateIndices(Ti, fps, s.fps);
    const W = s.window;
    if (all.length >= W) {
      const start = rng ? rng.int(all.length - W + 1) : Math.floor((all.length - W) / 2);
      const lead = start > 0 && this.inputSize !== this.train.frameSize ? 1 : 0;
      return { steps: all.subarray(start - lead, start + W), firstReal: 0, lead };
    }
    const pad = W - all.length;
    const steps = new Int32Array(W);
    steps.set(all, pad); // steps[0..pad) = 0: the first frame held still
    return { steps, firstReal: pad, lead: 0 };
  }

  /**
   * The samples of each part as this task reads them: training (less the validation part), validation (null
   * when none) and test. For tools that must see the very same parts (scripts/export-split.ts).
   */
  partDatasets(): { train: SkeletonDataset; validation: SkeletonDataset | null; test: SkeletonDataset } {
    return { train: this.train, validation: this.validation?.ds ?? null, test: this.test.ds };
  }

  stepsPerEpoch(batchSize: number): number {
    return this.order.stepsPerEpoch(batchSize);
  }

  trainBatch(step: number, batchSize: number): Batch {
    const d = this.detection;
    const rng = new Rng(this.options.seed, AUGMENT_STREAM, step);
    if (d) return d.train.batch(this.order.batchIndices(step, batchSize), rng, d.stride);
    return this.batch(this.train, this.order.batchIndices(step, batchSize), rng);
  }

  *evalBatches(batchSize: number, part: EvalPart = 'test'): Iterable<Batch> {
    const held = part === 'test' ? this.test : this.validation;
    if (!held) throw new Error(`${this.options.cache}: this task has no validation part (${this.validationNote})`);
    const { ds, windows } = held;
    if (windows) {
      for (const indices of indexBatches(windows.windows.length, batchSize))
        yield windows.batch(indices, null, this.detection!.stride);
      return;
    }
    for (const indices of indexBatches(ds.count, batchSize)) yield this.batch(ds, indices, null);
  }

  describe() {
    const h = this.train.header;
    const s = this.options.sampling;
    const contract: ModelContract = {
      task_kind: this.kind,
      labels: [
        ...this.train.labels.map((l) =>
          l.ntuAction === null ? { name: l.name } : { name: l.name, ntuAction: l.ntuAction },
        ),
        ...(this.detection ? [{ name: BACKGROUND_LABEL }] : []),
      ],
      layout: this.train.layout,
      layout_spec: { ...layoutJson(this.train.jointLayout) },
      dims: this.train.jointLayout.dims,
      bodies: this.train.bodies,
      joints: this.train.joints,
      preprocessing: this.train.preprocess,
      frame_rate: h.fps,
      window: this.seqLen,
      sampling: s.kind === 'segments' ? s : { kind: 'rate', fps: s.fps, window: s.window },
      background: this.detection ? BACKGROUND_LABEL : undefined,
    };
    const info = {
      task: 'skeleton',
      cache: this.options.cache,
      split: this.options.split,
      trainSamples: this.detection ? this.detection.train.windows.length : this.train.count,
      validationSamples: this.validation ? heldOutSize(this.validation) : 0,
      testSamples: heldOutSize(this.test),
      validation: this.carve,
      ...(this.detection
        ? {
            trainRecordings: this.train.count,
            validationRecordings: this.validation?.ds.count ?? 0,
            testRecordings: this.test.ds.count,
            trainClassShares: this.detection.train.classShares(this.train.labels.length),
          }
        : {}),
      augment: this.options.augment ? this.augmentConfig : null,
      source: h.source,
    };
    return { contract, info };
  }
}

/** The data restricted to the classes named in `classes` (comma-separated), in that order; all without it. */
function withClasses(ds: SkeletonDataset, classes: string | undefined, where: string): SkeletonDataset {
  if (classes === undefined) return ds;
  const names = ds.labels.map((l) => l.name);
  const keep = classes.split(',').map((name) => {
    const k = names.indexOf(name.trim());
    if (k < 0) throw new Error(`${where}: --classes: no class '${name.trim()}' (the cache has: ${names.join(', ')})`);
    return k;
  });
  if (isUntrimmed(ds)) throw new Error(`${where}: --classes takes clips; these are untrimmed recordings`);
  try {
    return ds.withClasses(keep);
  } catch (e) {
    throw new Error(`${where}: --classes: ${(e as Error).message}`);
  }
}

/** Sequences of a held-out part: its clips, or its evaluation windows for detection. */
function heldOutSize(h: HeldOut): number {
  return h.windows ? h.windows.windows.length : h.ds.count;
}

/**
 * What carving needs of the training samples `indices`. Untrimmed recordings are whole recordings: one
 * without a recording id is a recording of its own (an id above all the others).
 */
function validationSamples(ds: SkeletonDataset, indices: readonly number[], untrimmed: boolean): ValidationSample[] {
  const metas = indices.map((i) => ds.meta(i));
  let next = metas.reduce((max, m) => Math.max(max, m.recording), 0) + 1;
  return indices.map((i, k) => ({
    label: ds.label(i),
    subject: metas[k].subject,
    recording: untrimmed && metas[k].recording === 0 ? next++ : metas[k].recording,
  }));
}

function carveText(grouping: string | null, groups: number): string {
  if (grouping === 'stratified') return 'drawn per class';
  return `${groups} whole ${grouping}${groups === 1 ? '' : 's'}`;
}

/** Training sequences the default recipe shows the network, whatever the data size (docs/data.md). */
export const DEFAULT_RECIPE_SEQUENCES = 200_000;

/** Default epochs for a training set of n sequences: about 200 k sequences seen, within 30..200 epochs. */
export function defaultSkeletonEpochs(n: number): number {
  return Math.min(200, Math.max(30, Math.ceil(DEFAULT_RECIPE_SEQUENCES / n)));
}

/**
 * The default recipe for a user who gives only data and a split, chosen on real recordings (N-UCLA,
 * PKU-MMD; docs/data.md, "The default recipe"): residual 2 x 128 IndRNN, BN, dropout, Adam, about 200 k
 * training sequences (so small data sets get many epochs: 200 for N-UCLA's 1020 clips less a tenth for
 * validation) and one step decay at 80 % of the run; the weights of the best evaluation on the validation
 * part are the model.
 */
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
  schedule: 'step',
  epochs: defaultSkeletonEpochs,
  patience: 10,
};
