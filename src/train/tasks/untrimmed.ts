// Training windows cut from untrimmed recordings (PKU-MMD --untrimmed: whole recordings with a label per
// frame), for detection models: every model step has a target, and the frames between actions (label -1
// in the cache) train an extra "background" class, so a stream of someone standing or walking says so.
//
// Recordings are preprocessed whole (as a stream from the recording's first frame sees them), resampled
// to `fps` steps per second and cut into windows of W steps. Training windows start every W/2 steps with
// a random shift and a random playback speed; evaluation windows tile the held-out recordings at speed 1.
// The first `warmup` steps of each window are left unlabelled: at those steps the state has seen too
// little to tell, and a served stream always reads its prediction from a state with most of a window of
// history (docs/streaming.md, staggered states).
import { type AugmentConfig, augment, type SeqDims } from '../../data/augment.js';
import type { SkeletonDataset } from '../../data/cache.js';
import { type FeatureConfig, featureSequence, featureSize } from '../../data/features.js';
import { resampledLength } from '../../data/sampling.js';
import { seq } from '../../nn/seq.js';
import type { Rng } from '../../util/rng.js';
import type { Batch } from '../task.js';

/** The background label's name in detection models (the class of "no action" frames). */
export const BACKGROUND_LABEL = 'no action';

export interface UntrimmedWindowOptions {
  fps: number;
  window: number;
  warmup: number;
  /** Spatial augmentation (rotation, scale, noise); its speed range is used as playback speed. */
  augment: AugmentConfig | null;
}

interface Recording {
  /** Preprocessed frames [T, D]. */
  frames: Float32Array;
  T: number;
  /** Class per frame [T], background where the cache says -1. */
  targets: Int32Array;
}

interface WindowRef {
  recording: number;
  /** First step of the window on the recording's `fps` grid. */
  step: number;
}

/** True when a dataset holds untrimmed recordings: no labelled clip, but labels per frame. */
export function isUntrimmed(ds: SkeletonDataset): boolean {
  if (ds.count === 0) return false;
  for (let i = 0; i < ds.count; i++) if (ds.label(i) >= 0 || ds.frameLabels(i) === null) return false;
  return true;
}

export class UntrimmedWindows {
  private readonly recordings: Recording[];
  readonly windows: WindowRef[];
  /** Joints per step B*J*3 (the model takes featureSize(features, D) per step). */
  private readonly D: number;
  /** The input streams (features.ts), null: joints only. */
  private readonly features: FeatureConfig | null;
  private readonly dims: SeqDims;
  private readonly srcFps: number;

  /**
   * `background`: the class index given to unlabelled frames (the number of action classes). `stride`:
   * steps between window starts (W/2 for training, W for evaluation).
   */
  constructor(
    ds: SkeletonDataset,
    private readonly o: UntrimmedWindowOptions,
    background: number,
    stride: number,
  ) {
    this.D = ds.frameSize;
    this.features = ds.preprocess.features ?? null;
    this.dims = { bodies: ds.bodies, joints: ds.joints, layout: ds.jointLayout };
    this.srcFps = ds.header.fps;
    this.recordings = Array.from({ length: ds.count }, (_, i) => {
      const labels = ds.frameLabels(i)!;
      const targets = Int32Array.from(labels, (l) => (l >= 0 ? l : background));
      return { frames: ds.frames(i), T: ds.length(i), targets };
    });
    this.windows = this.recordings.flatMap((r, recording) => {
      const steps = this.stepsOf(r.T, 1);
      const out: WindowRef[] = [];
      for (let step = 0; step + o.window <= steps || step === 0; step += stride) out.push({ recording, step });
      return out;
    });
  }

  /** Steps of a recording of T frames at playback speed `speed`. */
  private stepsOf(T: number, speed: number): number {
    return resampledLength(T, this.srcFps * speed, this.o.fps);
  }

  /**
   * x [W, B, D] and per-step targets [W, B] for windows `indices`; with `rng` (training) each window is
   * shifted by up to a stride, played at a random speed and augmented.
   */
  batch(indices: ArrayLike<number>, rng: Rng | null, stride: number): Batch {
    const W = this.o.window;
    const B = indices.length;
    const D = this.D;
    const Din = featureSize(this.features, D);
    const x = new Float32Array(W * B * Din);
    const frameLabels = new Int32Array(W * B);
    const frameIdx = new Int32Array(W);
    const window = new Float32Array(W * D);
    const aug = rng ? this.o.augment : null;
    for (let b = 0; b < B; b++) {
      const ref = this.windows[indices[b]];
      const r = this.recordings[ref.recording];
      const speed = aug ? rng!.uniform(aug.speed[0], aug.speed[1]) : 1;
      const steps = this.stepsOf(r.T, speed);
      // Training: the nominal start (on the speed-1 grid) moved to this speed's grid, plus a random shift.
      let start = Math.round(ref.step / speed) + (rng ? rng.int(stride) : 0);
      start = Math.max(0, Math.min(start, steps - W));
      const perStep = (this.srcFps * speed) / this.o.fps;
      for (let k = 0; k < W; k++) {
        const step = start + k;
        frameIdx[k] = Math.min(r.T - 1, Math.max(0, Math.floor(step * perStep + 1e-9)));
      }
      for (let k = 0; k < W; k++) window.set(r.frames.subarray(frameIdx[k] * D, (frameIdx[k] + 1) * D), k * D);
      const frames = aug ? augment(window, W, this.dims, { ...aug, speed: [1, 1], cropMin: 1 }, rng!).frames : window;
      const input = featureSequence(this.features, this.dims.bodies, this.dims.joints, frames, W);
      for (let k = 0; k < W; k++) {
        x.set(input.subarray(k * Din, (k + 1) * Din), (k * B + b) * Din);
        // A window shorter than W (a very short recording) repeats its last frame; those steps are labelled too.
        frameLabels[k * B + b] = k >= this.o.warmup || k === W - 1 ? r.targets[frameIdx[k]] : -1;
      }
    }
    return { x: seq(x, W, B, Din), frameLabels };
  }

  /** Fraction of labelled training frames per class [K+1], background last (for reports). */
  classShares(K: number): number[] {
    const n = new Float64Array(K + 1);
    let total = 0;
    for (const r of this.recordings)
      for (const t of r.targets) {
        n[t]++;
        total++;
      }
    return Array.from(n, (v) => v / Math.max(1, total));
  }
}
