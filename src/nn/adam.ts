// Adam with L2 weight decay on input/classifier weights only (not u, biases or BN), after an elementwise
// gradient clamp, as in the authors' recipe. The update is elementwise, so any range of the parameter
// store can be updated on its own (data-parallel training splits it across threads: data-parallel.ts)
// with the same bits as one pass over everything.
import type { ParamStore } from './params.js';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Elementwise gradient clamp to [-gradClip, gradClip]; 0 disables. */
  gradClip: number;
}

export const defaultAdamOptions: AdamOptions = {
  lr: 2e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 1e-4,
  gradClip: 10,
};

/** The constants of one step (t counted from 1), as a plain object that can cross threads. */
export interface AdamStep extends AdamOptions {
  stepSize: number; // lr / (1 - beta1^t)
  sqrtC2: number; // sqrt(1 - beta2^t)
}

/** A run of trainable values [from, to) of the flat store (one tensor); decay: weight decay applies. */
export interface AdamSegment {
  from: number;
  to: number;
  decay: boolean;
}

/** The trainable tensors of a store (buffers such as BN running statistics and frozen tensors are not optimised). */
export function adamSegments(store: ParamStore): AdamSegment[] {
  return store.params
    .filter((p) => p.role !== 'buffer' && !p.frozen)
    .map((p) => ({ from: p.offset, to: p.offset + p.size, decay: p.role === 'weight' }));
}

/** The segments' values within [from, to): the part of an update that one thread takes. */
export function segmentsWithin(segments: readonly AdamSegment[], from: number, to: number): AdamSegment[] {
  return segments
    .map((s) => ({ from: Math.max(s.from, from), to: Math.min(s.to, to), decay: s.decay }))
    .filter((s) => s.from < s.to);
}

/** Updates w, m, v over the given segments from the gradient g (all flat, indexed like the store). */
export function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  segments: readonly AdamSegment[],
  c: AdamStep,
): void {
  const clip = c.gradClip > 0 ? c.gradClip : Number.POSITIVE_INFINITY;
  for (const s of segments) {
    const decay = s.decay ? c.weightDecay : 0;
    adamRun(w, g, m, v, s.from, s.to, decay, c.beta1, c.beta2, c.eps, clip, c.stepSize, c.sqrtC2);
  }
}

/** One segment, every constant a plain number (V8 keeps them in registers). */
function adamRun(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  from: number,
  to: number,
  decay: number,
  beta1: number,
  beta2: number,
  eps: number,
  clip: number,
  stepSize: number,
  sqrtC2: number,
): void {
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  for (let i = from; i < to; i++) {
    let gi = g[i];
    gi = gi > clip ? clip : Math.max(gi, -clip);
    if (decay !== 0) gi += decay * w[i];
    // m and v as stored (float32), without reading them back (~25 % faster than m[i] after m[i] = ...).
    const mi = Math.fround(beta1 * m[i] + b1 * gi);
    const vi = Math.fround(beta2 * v[i] + b2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    w[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
  }
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Number of steps taken (for bias correction). */
  t = 0;
  readonly segments: readonly AdamSegment[];

  /** shared: m and v in SharedArrayBuffers, so that other threads can update ranges of them. */
  constructor(
    private readonly store: ParamStore,
    public opts: AdamOptions,
    shared = false,
  ) {
    const n = store.data.length;
    const floats = () => new Float32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
    this.m = floats();
    this.v = floats();
    this.segments = adamSegments(store);
  }

  /** Counts the step and returns its constants (then adamUpdate over ranges, in any threads, makes the step). */
  begin(): AdamStep {
    this.t++;
    const { lr, beta1, beta2 } = this.opts;
    return { ...this.opts, stepSize: lr / (1 - beta1 ** this.t), sqrtC2: Math.sqrt(1 - beta2 ** this.t) };
  }

  step(): void {
    adamUpdate(this.store.data, this.store.grad, this.m, this.v, this.segments, this.begin());
  }
}
