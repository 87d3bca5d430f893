// BatchNorm over batch x time: statistics per channel over all N = T*B rows (as in the authors'
// BatchNorm1d over [T*B, C]). Eval mode uses running statistics, so it is an affine map per channel.
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';

/**
 * Training forward. y[N, C] (out), xhat[N, C] (out, saved for backward), invStd[C] (out, saved),
 * mean[C] and variance[C] (out, biased, for the running averages), x[N, C], gamma[C], beta[C].
 */
export function batchnormForward(
  y: Float32Array,
  xhat: Float32Array,
  invStd: Float32Array,
  mean: Float64Array,
  variance: Float64Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  N: number,
  C: number,
  eps: number,
): void {
  // One pass for Σx and Σx² per channel, accumulated in float64 (N is at most a few 10^4 rows).
  mean.fill(0);
  variance.fill(0);
  for (let r = 0; r < N; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      const v = x[row + c];
      mean[c] += v;
      variance[c] += v * v;
    }
  }
  for (let c = 0; c < C; c++) {
    mean[c] /= N;
    variance[c] = Math.max(variance[c] / N - mean[c] * mean[c], 0);
    invStd[c] = 1 / Math.sqrt(variance[c] + eps);
  }
  for (let r = 0; r < N; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      const xh = (x[row + c] - mean[c]) * invStd[c];
      xhat[row + c] = xh;
      y[row + c] = gamma[c] * xh + beta[c];
    }
  }
}

/**
 * Backward. dx[N, C] (out), dgamma[C], dbeta[C] (accumulated), dy[N, C], xhat, invStd, gamma as saved.
 * dx = gamma * invStd / N * (N dy - Σdy - xhat Σ(dy xhat)).
 */
export function batchnormBackward(
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
  dy: Float32Array,
  xhat: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  N: number,
  C: number,
): void {
  const sumDy = new Float64Array(C);
  const sumDyXhat = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      sumDy[c] += dy[row + c];
      sumDyXhat[c] += dy[row + c] * xhat[row + c];
    }
  }
  const scale = new Float32Array(C);
  const meanDy = new Float32Array(C);
  const meanDyXhat = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    dgamma[c] += sumDyXhat[c];
    dbeta[c] += sumDy[c];
    scale[c] = gamma[c] * invStd[c];
    meanDy[c] = sumDy[c] / N;
    meanDyXhat[c] = sumDyXhat[c] / N;
  }
  for (let r = 0; r < N; r++) {
    const row = r * C;
    for (let c = 0; c < C; c++) {
      dx[row + c] = scale[c] * (dy[row + c] - meanDy[c] - xhat[row + c] * meanDyXhat[c]);
    }
  }
}

/** Eval: y = gamma (x - runningMean) / sqrt(runningVar + eps) + beta, i.e. y = x * scale + shift. */
export function batchnormEvalAffine(
  gamma: Float32Array,
  beta: Float32Array,
  runMean: Float32Array,
  runVar: Float32Array,
  eps: number,
) {
  const C = gamma.length;
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gamma[c] / Math.sqrt(runVar[c] + eps);
    shift[c] = beta[c] - runMean[c] * scale[c];
  }
  return { scale, shift };
}

export interface BatchNormParams {
  gamma: Param; // [C]
  beta: Param; // [C]
  runningMean: Param; // [C], buffer
  runningVar: Param; // [C], buffer
}

export function addBatchNormParams(store: ParamStore, name: string, size: number): BatchNormParams {
  return {
    gamma: store.add(`${name}.gamma`, [size], 'bn', { kind: 'ones' }),
    beta: store.add(`${name}.beta`, [size], 'bn', { kind: 'zeros' }),
    runningMean: store.add(`${name}.running_mean`, [size], 'buffer', { kind: 'zeros' }),
    runningVar: store.add(`${name}.running_var`, [size], 'buffer', { kind: 'ones' }),
  };
}

/** running = (1 - m) running + m batch; the running variance uses the unbiased estimate (PyTorch convention). */
export function updateRunningStats(
  p: BatchNormParams,
  mean: Float64Array,
  variance: Float64Array,
  N: number,
  momentum: number,
): void {
  const rm = p.runningMean.value;
  const rv = p.runningVar.value;
  for (let c = 0; c < rm.length; c++) {
    rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
    rv[c] = (1 - momentum) * rv[c] + (momentum * variance[c] * N) / (N - 1);
  }
}

export const BN_MOMENTUM = 0.1;
export const BN_EPS = 1e-5;

/** The unfused layer: the reference that the fused recurrent unit (rec-unit.ts) is tested against. */
export class BatchNorm implements Layer {
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: Param;
  readonly runningVar: Param;
  private readonly params: BatchNormParams;
  private saved: { xhat: Float32Array; invStd: Float32Array; T: number; B: number } | null = null;
  private y: Float32Array | null = null; // reused buffers (see reuse())
  private xhat: Float32Array | null = null;
  private dx: Float32Array | null = null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly size: number,
    readonly momentum = BN_MOMENTUM,
    readonly eps = BN_EPS,
  ) {
    this.params = addBatchNormParams(store, name, size);
    ({ gamma: this.gamma, beta: this.beta, runningMean: this.runningMean, runningVar: this.runningVar } = this.params);
  }

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    const C = this.size;
    const N = x.T * x.B;
    if (x.C !== C) throw new RangeError(`${this.name}: input has ${x.C} channels, expected ${C}`);
    this.y = reuse(this.y, N * C);
    const y = this.y;
    if (!ctx.training && !ctx.bnCalibration) {
      const { scale, shift } = batchnormEvalAffine(
        this.gamma.value,
        this.beta.value,
        this.runningMean.value,
        this.runningVar.value,
        this.eps,
      );
      for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) y[r * C + c] = x.data[r * C + c] * scale[c] + shift[c];
      return seq(y, x.T, x.B, C);
    }
    if (N < 2) throw new RangeError(`${this.name}: batch norm in training needs at least 2 rows (T*B), got ${N}`);
    this.xhat = reuse(this.xhat, N * C);
    const xhat = this.xhat;
    const invStd = new Float32Array(C);
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    batchnormForward(y, xhat, invStd, mean, variance, x.data, this.gamma.value, this.beta.value, N, C, this.eps);
    updateRunningStats(this.params, mean, variance, N, ctx.bnCalibration?.momentum ?? this.momentum);
    if (ctx.training) this.saved = { xhat, invStd, T: x.T, B: x.B };
    return seq(y, x.T, x.B, C);
  }

  async backward(dy: Seq): Promise<Seq> {
    if (!this.saved) throw new Error(`${this.name}: backward without a training forward`);
    const { xhat, invStd, T, B } = this.saved;
    const N = T * B;
    this.dx = reuse(this.dx, N * this.size);
    const dx = this.dx;
    batchnormBackward(dx, this.gamma.grad, this.beta.grad, dy.data, xhat, invStd, this.gamma.value, N, this.size);
    this.saved = null;
    return seq(dx, T, B, this.size);
  }
}
