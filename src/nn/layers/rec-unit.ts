// The recurrent unit both architectures repeat: IndRec -> BN -> dropout, fused: forward is the
// recurrence, the batch statistics (one vectorised reduction in the backend) and one normalise-and-mask
// pass; backward is one reduction and one reverse pass that does BN, dropout and recurrence together
// (instead of eight passes unfused). The elementwise work is bound by memory bandwidth, so passes are
// what cost. The unfused IndRNN, BatchNorm and Dropout layers remain the reference; test/nn-fused.test.ts
// checks that both agree.
import type { Backend, ChannelSums } from '../backend.js';
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';
import {
  addBatchNormParams,
  type BatchNormParams,
  BN_EPS,
  BN_MOMENTUM,
  batchnormEvalAffine,
  updateRunningStats,
} from './batchnorm.js';
import { applyMask, dropoutMask } from './dropout.js';
import {
  addRecurrentWeight,
  type IndRNNOptions,
  indrnnBackward,
  indrnnForward,
  initialState,
  recordFinalState,
} from './indrnn.js';

/** Training forward, after the recurrence: y[T, B, H] (out) = (h * scale + shift) ⊙ mask[B, H] (one mask per sequence). */
export function normalizeAndMask(
  y: Float32Array,
  h: Float32Array,
  scale: Float32Array,
  shift: Float32Array,
  mask: Float32Array,
  T: number,
  B: number,
  H: number,
): void {
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
 * Backward of the whole unit, given the channel sums Σd and Σd·h of d = dy ⊙ mask (from the backend).
 * dz[T, B, H] (out), du[H], dgamma[H], dbeta[H] (accumulated); dy[T, B, H] is dL/d(unit output);
 * h, h0, mask, BN statistics as saved by forward. One reverse pass over t = T-1 .. 0:
 *   dh = γ invStd (d - mean(d) - xhat mean(d·xhat)) with xhat = (h - mean) invStd (not stored),
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
  sums: ChannelSums,
  mask: Float32Array,
  T: number,
  B: number,
  H: number,
): void {
  const BH = B * H;
  const N = sums.count; // T*B, or all shards' rows in a data-parallel step
  const { mean, invStd } = bn;
  // dh = scale d + c0 - c1 h, with per-channel constants folded from the formula above;
  // Σd·xhat = invStd (Σd·h - mean Σd). The constants, u and the du accumulator sit side by side in one
  // array, [scale, c0, c1, u, du] per channel: one array instead of five keeps the loop's pointers in
  // registers (~20 % faster here).
  const co = new Float64Array(5 * H);
  for (let k = 0; k < H; k++) {
    const sumD = sums.a[k];
    const sumDX = invStd[k] * (sums.b[k] - mean[k] * sumD);
    if (!sums.secondary) {
      dgamma[k] += sumDX;
      dbeta[k] += sumD;
    }
    const scale = gamma[k] * invStd[k];
    const c1 = (scale * invStd[k] * sumDX) / N;
    co[5 * k] = scale;
    co[5 * k + 1] = -(scale * sumD) / N + c1 * mean[k];
    co[5 * k + 2] = c1;
    co[5 * k + 3] = u[k];
  }
  for (let t = T - 1; t >= 0; t--) {
    const cur = t * BH;
    // g_{t+1} is zero past the end: read it as 0 * (any valid element) rather than branching per element.
    const next = t === T - 1 ? 0 : 1;
    const nextOff = next * BH;
    // h_{t-1}: h itself, or h0 at t = 0, or nothing (zeros) when there is no h0.
    const prevArr = t > 0 ? h : (h0 ?? h);
    const hasPrev = t > 0 || h0 !== null ? 1 : 0;
    for (let row = 0; row < BH; row += H) {
      const base = cur + row;
      const prevBase = t > 0 ? base - BH : row;
      for (let k = 0; k < H; k++) {
        const i = base + k;
        const q = 5 * k;
        const hi = h[i];
        const dh = co[q] * dy[i] * mask[row + k] + co[q + 1] - co[q + 2] * hi;
        const g = (dh + next * co[q + 3] * dz[i + nextOff]) * +(hi > 0);
        dz[i] = g;
        co[q + 4] += hasPrev * g * prevArr[prevBase + k];
      }
    }
  }
  for (let k = 0; k < H; k++) du[k] += co[5 * k + 4];
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
  private fullMask: Float32Array | null = null;

  constructor(
    store: ParamStore,
    /** Parameter names: `${recName}.u`, `${bnName}.gamma` ... */
    readonly recName: string,
    readonly bnName: string,
    readonly size: number,
    /** Index of this unit's state in ForwardContext.h0 / hT. */
    readonly stateIndex: number,
    readonly opts: RecUnitOptions,
    private readonly backend: Backend,
  ) {
    ({ u: this.u, bound: this.bound } = addRecurrentWeight(store, recName, size, opts));
    this.bn = opts.batchNorm ? addBatchNormParams(store, bnName, size) : null;
    if (!(opts.dropout >= 0 && opts.dropout < 1))
      throw new RangeError(`dropout probability must be in [0, 1), got ${opts.dropout}`);
  }

  private dropoutMask(ctx: ForwardContext, B: number): Float32Array {
    const n = B * this.size;
    if (!ctx.training || this.opts.dropout === 0) {
      this.ones = reuse(this.ones, n);
      return this.ones.fill(1);
    }
    if (!ctx.rng) throw new Error('dropout in training needs ctx.rng');
    const rng = ctx.rng;
    // A data-parallel shard draws the whole batch's masks (so every shard's stream stays in step) and keeps its rows.
    const total = ctx.shard ? ctx.shard.total * this.size : n;
    this.fullMask = reuse(this.fullMask, total);
    dropoutMask(this.fullMask, this.opts.dropout, rng);
    // Kept for backward, which runs before the next forward draws again.
    if (!ctx.shard) return this.fullMask;
    const from = ctx.shard.offset * this.size;
    return this.fullMask.subarray(from, from + n);
  }

  async forward(z: Seq, ctx: ForwardContext): Promise<Seq> {
    const { T, B } = z;
    const H = this.size;
    if (z.C !== H) throw new RangeError(`${this.recName}: input has ${z.C} channels, expected ${H}`);
    const h0 = initialState(ctx, this.stateIndex, this.recName, B, H);
    this.h = reuse(this.h, T * B * H);
    const h = this.h;
    this.y = reuse(this.y, T * B * H);
    const y = this.y;
    const mask = this.dropoutMask(ctx, B);
    let bnSaved: BnSaved | null = null;
    if (this.bn && (ctx.training || ctx.bnCalibration)) {
      if (T * B < 2)
        throw new RangeError(`${this.bnName}: batch norm in training needs at least 2 rows (T*B), got ${T * B}`);
      indrnnForward(h, z.data, this.u.value, h0, T, B, H);
      const moments = await this.backend.channelMoments(h, T * B, H);
      const N = moments.count; // T*B, or all shards' rows in a data-parallel step
      const mean = new Float64Array(H);
      const variance = new Float64Array(H);
      const invStd = new Float64Array(H);
      const scale = new Float32Array(H);
      const shift = new Float32Array(H);
      for (let k = 0; k < H; k++) {
        mean[k] = moments.a[k] / N;
        variance[k] = Math.max(moments.b[k] / N - mean[k] * mean[k], 0);
        invStd[k] = 1 / Math.sqrt(variance[k] + BN_EPS);
        scale[k] = this.bn.gamma.value[k] * invStd[k];
        shift[k] = this.bn.beta.value[k] - mean[k] * scale[k];
      }
      updateRunningStats(this.bn, mean, variance, N, ctx.bnCalibration?.momentum ?? BN_MOMENTUM);
      normalizeAndMask(y, h, scale, shift, mask, T, B, H);
      bnSaved = { mean, invStd };
    } else {
      indrnnForward(h, z.data, this.u.value, h0, T, B, H);
      if (this.bn) {
        const { scale, shift } = batchnormEvalAffine(
          this.bn.gamma.value,
          this.bn.beta.value,
          this.bn.runningMean.value,
          this.bn.runningVar.value,
          BN_EPS,
        );
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
    this.dz = reuse(this.dz, T * B * H);
    const dz = this.dz;
    if (this.bn && bn) {
      const sums = await this.backend.maskedSums(dy.data, mask, this.h, T, B, H);
      const { gamma, beta } = this.bn;
      recUnitBackward(
        dz,
        this.u.grad,
        gamma.grad,
        beta.grad,
        dy.data,
        this.h,
        h0,
        this.u.value,
        gamma.value,
        bn,
        sums,
        mask,
        T,
        B,
        H,
      );
    } else {
      this.dh = reuse(this.dh, T * B * H);
      const dh = this.dh;
      applyMask(dh, dy.data, mask, T, B * H);
      indrnnBackward(dz, this.u.grad, null, dh, this.h, this.u.value, h0, T, B, H);
    }
    this.saved = null;
    return seq(dz, T, B, H);
  }
}
