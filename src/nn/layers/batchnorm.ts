// BatchNorm over batch x time: statistics per channel over all N = T*B rows (as in the authors'
// BatchNorm1d over [T*B, C]). Eval mode uses running statistics, so it is an affine map per channel.
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, type Seq, seq } from '../seq.js';

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
  mean.fill(0);
  variance.fill(0);
  for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) mean[c] += x[r * C + c];
  for (let c = 0; c < C; c++) mean[c] /= N;
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      const d = x[r * C + c] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    variance[c] /= N;
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
export function batchnormEvalAffine(gamma: Float32Array, beta: Float32Array, runMean: Float32Array, runVar: Float32Array, eps: number) {
  const C = gamma.length;
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gamma[c] / Math.sqrt(runVar[c] + eps);
    shift[c] = beta[c] - runMean[c] * scale[c];
  }
  return { scale, shift };
}

export class BatchNorm implements Layer {
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: Param;
  readonly runningVar: Param;
  private saved: { xhat: Float32Array; invStd: Float32Array; T: number; B: number } | null = null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly size: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    this.gamma = store.add(`${name}.gamma`, [size], 'bn', { kind: 'ones' });
    this.beta = store.add(`${name}.beta`, [size], 'bn', { kind: 'zeros' });
    this.runningMean = store.add(`${name}.running_mean`, [size], 'buffer', { kind: 'zeros' });
    this.runningVar = store.add(`${name}.running_var`, [size], 'buffer', { kind: 'ones' });
  }

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    const C = this.size;
    const N = x.T * x.B;
    if (x.C !== C) throw new RangeError(`${this.name}: input has ${x.C} channels, expected ${C}`);
    const y = new Float32Array(N * C);
    if (!ctx.training) {
      const { scale, shift } = batchnormEvalAffine(this.gamma.value, this.beta.value, this.runningMean.value, this.runningVar.value, this.eps);
      for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) y[r * C + c] = x.data[r * C + c] * scale[c] + shift[c];
      return seq(y, x.T, x.B, C);
    }
    if (N < 2) throw new RangeError(`${this.name}: batch norm in training needs at least 2 rows (T*B), got ${N}`);
    const xhat = new Float32Array(N * C);
    const invStd = new Float32Array(C);
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    batchnormForward(y, xhat, invStd, mean, variance, x.data, this.gamma.value, this.beta.value, N, C, this.eps);
    this.updateRunningStats(mean, variance, N);
    this.saved = { xhat, invStd, T: x.T, B: x.B };
    return seq(y, x.T, x.B, C);
  }

  /** PyTorch convention: running variance uses the unbiased estimate. */
  private updateRunningStats(mean: Float64Array, variance: Float64Array, N: number): void {
    const m = this.momentum;
    const rm = this.runningMean.value;
    const rv = this.runningVar.value;
    for (let c = 0; c < this.size; c++) {
      rm[c] = (1 - m) * rm[c] + m * mean[c];
      rv[c] = (1 - m) * rv[c] + (m * variance[c] * N) / (N - 1);
    }
  }

  async backward(dy: Seq): Promise<Seq> {
    if (!this.saved) throw new Error(`${this.name}: backward without a training forward`);
    const { xhat, invStd, T, B } = this.saved;
    const N = T * B;
    const dx = new Float32Array(N * this.size);
    batchnormBackward(dx, this.gamma.grad, this.beta.grad, dy.data, xhat, invStd, this.gamma.value, N, this.size);
    this.saved = null;
    return seq(dx, T, B, this.size);
  }
}
