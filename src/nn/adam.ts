// Adam with L2 weight decay on input/classifier weights only (not u, biases or BN), after an elementwise
// gradient clamp, as in the authors' recipe. One flat loop over the parameter store.
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

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Number of steps taken (for bias correction). */
  t = 0;
  private readonly decayMask: Uint8Array; // 1 where weight decay applies
  private readonly trainMask: Uint8Array; // 0 for buffers

  constructor(
    private readonly store: ParamStore,
    public opts: AdamOptions,
  ) {
    const n = store.data.length;
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.decayMask = new Uint8Array(n);
    this.trainMask = new Uint8Array(n);
    for (const p of store.params) {
      if (p.role === 'weight') this.decayMask.fill(1, p.offset, p.offset + p.size);
      if (p.role !== 'buffer') this.trainMask.fill(1, p.offset, p.offset + p.size);
    }
  }

  step(): void {
    const { lr, beta1, beta2, eps, weightDecay, gradClip } = this.opts;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const stepSize = lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    const w = this.store.data;
    const g = this.store.grad;
    const { m, v, decayMask, trainMask } = this;
    for (let i = 0; i < w.length; i++) {
      if (trainMask[i] === 0) continue;
      let gi = g[i];
      if (gradClip > 0) gi = gi > gradClip ? gradClip : Math.max(gi, -gradClip);
      if (decayMask[i] === 1) gi += weightDecay * w[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtC2 + eps);
    }
  }
}
