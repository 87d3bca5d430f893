// The recurrent unit both architectures repeat: IndRec -> BN -> dropout, fused into two passes over
// memory forward and two backward (instead of eight). On 2 cores the elementwise work is bound by memory
// bandwidth, so passes, not arithmetic, are what cost. The unfused IndRNN, BatchNorm and Dropout layers
// remain the reference; test/nn-fused.test.ts checks that both agree.
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';
import { addBatchNormParams, BN_EPS, BN_MOMENTUM, type BatchNormParams, batchnormEvalAffine, updateRunningStats } from './batchnorm.js';
import { applyMask, dropoutMask } from './dropout.js';
import {
  addRecurrentWeight,
  type IndRNNOptions,
  indrnnBackward,
  indrnnForward,
  initialState,
  recordFinalState,
} from './indrnn.js';

/**
 * Training forward, pass 1: the recurrence h[T, B, H] (out) = relu(z + u ⊙ h_{t-1}) and the per-channel
 * Σh, Σh² (out) that batch norm needs, while h is still in registers.
 */
export function indrnnForwardWithSums(
  h: Float32Array,
  sum: Float64Array,
  sumSq: Float64Array,
  z: Float32Array,
  u: Float32Array,
  h0: Float32Array | null,
  T: number,
  B: number,
  H: number,
): void {
  sum.fill(0);
  sumSq.fill(0);
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    const cur = t * BH;
    const prevArr = t === 0 ? h0 : h;
    const prev = t === 0 ? 0 : cur - BH;
    for (let b = 0; b < B; b++) {
      const row = b * H;
      for (let k = 0; k < H; k++) {
        const a = z[cur + row + k] + (prevArr === null ? 0 : u[k] * prevArr[prev + row + k]);
        const v = Math.fround(0.5 * (a + Math.abs(a))); // the float32 value stored, so sums match the reference
        h[cur + row + k] = v;
        sum[k] += v;
        sumSq[k] += v * v;
      }
    }
  }
}

/** Training forward, pass 2: y[T, B, H] (out) = (h * scale + shift) ⊙ mask[B, H] (one mask per sequence). */
export function normalizeAndMask(y: Float32Array, h: Float32Array, scale: Float32Array, shift: Float32Array, mask: Float32Array, T: number, B: number, H: number): void {
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    const cur = t * BH;
    for (let row = 0; row < BH; row += H) {
      for (let k = 0; k < H; k++) {
        const j = row + k;
        y[cur + j] = Math.fround(h[cur + j] * scale[k] + shift[k]) * mask[j];
      }
    }
  }
}

export interface BnSaved {
  mean: Float64Array; // [H] batch mean of h
  invStd: Float64Array; // [H] 1 / sqrt(var + eps)
}

/**
 * Backward of the whole unit. dz[T, B, H] (out), du[H], dgamma[H], dbeta[H] (accumulated); dy[T, B, H] is
 * dL/d(unit output); h, h0, mask, BN statistics as saved by forward.
 *   pass 1: d = dy ⊙ mask; Σd and Σd·xhat per channel (xhat recomputed from h, not stored);
 *   pass 2 (t = T-1 .. 0): dh = γ invStd (d - mean(d) - xhat mean(d·xhat)); then the IndRNN recurrence
 *   g_t = (dh_t + u g_{t+1}) [h_t > 0], dz_t = g_t, du += g_t h_{t-1}.
 */
export function recUnitBackward(
  dz: Float32Array,
  du: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
  dy: Float32Array,
  h: Float32Array,
  h0: Float32Array | null,
  u: Float32Array,
  gamma: Float32Array,
  bn: BnSaved,
  mask: Float32Array,
  T: number,
  B: number,
  H: number,
): void {
  const BH = B * H;
  const N = T * B;
  const { mean, invStd } = bn;
  // Σd and Σd·h per channel; Σd·xhat = invStd (Σd·h - mean Σd) saves recomputing xhat per element.
  const sumD = new Float64Array(H);
  const sumDH = new Float64Array(H);
  for (let t = 0; t < T; t++) {
    const cur = t * BH;
    for (let row = 0; row < BH; row += H) {
      for (let k = 0; k < H; k++) {
        const d = dy[cur + row + k] * mask[row + k];
        sumD[k] += d;
        sumDH[k] += d * h[cur + row + k];
      }
    }
  }
  // dh = scale d + c0 - c1 h, with per-channel constants folded from the formula above.
  const scale = new Float64Array(H);
  const c0 = new Float64Array(H);
  const c1 = new Float64Array(H);
  for (let k = 0; k < H; k++) {
    const sumDX = invStd[k] * (sumDH[k] - mean[k] * sumD[k]);
    dgamma[k] += sumDX;
    dbeta[k] += sumD[k];
    scale[k] = gamma[k] * invStd[k];
    c1[k] = (scale[k] * invStd[k] * sumDX) / N;
    c0[k] = -(scale[k] * sumD[k]) / N + c1[k] * mean[k];
  }
  const duAcc = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    const cur = t * BH;
    // g_{t+1} is zero past the end: read it as 0 * (any valid element) rather than branching per element.
    const next = t === T - 1 ? 0 : 1;
    // h_{t-1}: h itself, or h0 at t = 0, or nothing (zeros) when there is no h0.
    const prevArr = t > 0 ? h : (h0 ?? h);
    const prev = t > 0 ? cur - BH : 0;
    const hasPrev = t > 0 || h0 !== null ? 1 : 0;
    for (let row = 0; row < BH; row += H) {
      for (let k = 0; k < H; k++) {
        const i = cur + row + k;
        const hi = h[i];
        const dh = scale[k] * dy[i] * mask[row + k] + c0[k] - c1[k] * hi;
        const g = (dh + next * u[k] * dz[i + next * BH]) * +(hi > 0);
        dz[i] = g;
        duAcc[k] += hasPrev * g * prevArr[prev + row + k];
      }
    }
  }
  for (let k = 0; k < H; k++) du[k] += duAcc[k];
}

export interface RecUnitOptions extends IndRNNOptions {
  batchNorm: boolean;
  dropout: number;
}

export class RecUnit implements Layer {
  readonly u: Param; // [H]
  readonly bound: number;
  readonly bn: BatchNormParams | null;
  private saved: { z: Seq; h0: Float32Array | null; mask: Float32Array; bn: BnSaved | null } | null = null;
  private h: Float32Array | null = null; // reused buffers (see reuse())
  private y: Float32Array | null = null;
  private dz: Float32Array | null = null;
  private dh: Float32Array | null = null;
  private ones: Float32Array | null = null;

  constructor(
    store: ParamStore,
    /** Parameter names: `${recName}.u`, `${bnName}.gamma` ... */
    readonly recName: string,
    readonly bnName: string,
    readonly size: number,
    /** Index of this unit's state in ForwardContext.h0 / hT. */
    readonly stateIndex: number,
    readonly opts: RecUnitOptions,
  ) {
    ({ u: this.u, bound: this.bound } = addRecurrentWeight(store, recName, size, opts));
    this.bn = opts.batchNorm ? addBatchNormParams(store, bnName, size) : null;
    if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new RangeError(`dropout probability must be in [0, 1), got ${opts.dropout}`);
  }

  private dropoutMask(ctx: ForwardContext, B: number): Float32Array {
    const n = B * this.size;
    if (!ctx.training || this.opts.dropout === 0) {
      this.ones = reuse(this.ones, n);
      return this.ones.fill(1);
    }
    if (!ctx.rng) throw new Error('dropout in training needs ctx.rng');
    const rng = ctx.rng;
    const mask = new Float32Array(n);
    dropoutMask(mask, this.opts.dropout, () => rng.next());
    return mask;
  }

  async forward(z: Seq, ctx: ForwardContext): Promise<Seq> {
    const { T, B } = z;
    const H = this.size;
    if (z.C !== H) throw new RangeError(`${this.recName}: input has ${z.C} channels, expected ${H}`);
    const h0 = initialState(ctx, this.stateIndex, this.recName, B, H);
    const h = (this.h = reuse(this.h, T * B * H));
    const y = (this.y = reuse(this.y, T * B * H));
    const mask = this.dropoutMask(ctx, B);
    let bnSaved: BnSaved | null = null;
    if (this.bn && ctx.training) {
      if (T * B < 2) throw new RangeError(`${this.bnName}: batch norm in training needs at least 2 rows (T*B), got ${T * B}`);
      const mean = new Float64Array(H);
      const variance = new Float64Array(H);
      indrnnForwardWithSums(h, mean, variance, z.data, this.u.value, h0, T, B, H);
      const invStd = new Float64Array(H);
      const scale = new Float32Array(H);
      const shift = new Float32Array(H);
      const N = T * B;
      for (let k = 0; k < H; k++) {
        mean[k] /= N;
        variance[k] = Math.max(variance[k] / N - mean[k] * mean[k], 0);
        invStd[k] = 1 / Math.sqrt(variance[k] + BN_EPS);
        scale[k] = this.bn.gamma.value[k] * invStd[k];
        shift[k] = this.bn.beta.value[k] - mean[k] * scale[k];
      }
      updateRunningStats(this.bn, mean, variance, N, BN_MOMENTUM);
      normalizeAndMask(y, h, scale, shift, mask, T, B, H);
      bnSaved = { mean, invStd };
    } else {
      indrnnForward(h, z.data, this.u.value, h0, T, B, H);
      if (this.bn) {
        const { scale, shift } = batchnormEvalAffine(this.bn.gamma.value, this.bn.beta.value, this.bn.runningMean.value, this.bn.runningVar.value, BN_EPS);
        normalizeAndMask(y, h, scale, shift, mask, T, B, H);
      } else {
        applyMask(y, h, mask, T, B * H);
      }
    }
    recordFinalState(ctx, this.stateIndex, h, h0, T, B * H);
    if (ctx.training) this.saved = { z, h0, mask, bn: bnSaved };
    return seq(y, T, B, H);
  }

  async backward(dy: Seq): Promise<Seq> {
    if (!this.saved || !this.h) throw new Error(`${this.recName}: backward without a training forward`);
    const { z, h0, mask, bn } = this.saved;
    const { T, B } = z;
    const H = this.size;
    const dz = (this.dz = reuse(this.dz, T * B * H));
    if (this.bn && bn) {
      recUnitBackward(dz, this.u.grad, this.bn.gamma.grad, this.bn.beta.grad, dy.data, this.h, h0, this.u.value, this.bn.gamma.value, bn, mask, T, B, H);
    } else {
      const dh = (this.dh = reuse(this.dh, T * B * H));
      applyMask(dh, dy.data, mask, T, B * H);
      indrnnBackward(dz, this.u.grad, null, dh, this.h, this.u.value, h0, T, B, H);
    }
    this.saved = null;
    return seq(dz, T, B, H);
  }
}
