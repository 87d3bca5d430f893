// The non-recurrent baseline that tells whether a dataset needs temporal modelling: a linear softmax
// classifier on time-averaged poses (optionally on the means of S consecutive segments, which gives it
// coarse temporal order). Small enough for plain JS: N x F x K multiply-adds per epoch.
import { Rng } from '../util/rng.js';
import type { SkeletonDataset } from './cache.js';

export interface Features {
  /** [N, F] */
  X: Float32Array;
  /** [N] label indices */
  y: Int32Array;
  N: number;
  F: number;
}

/**
 * Features of every labelled sample: the mean of its model-input frames over each of `segments` equal
 * time segments, concatenated: F = segments * D. Unlabelled samples (streams) are left out.
 */
export function meanPoseFeatures(ds: SkeletonDataset, segments = 1): Features {
  if (!Number.isInteger(segments) || segments < 1)
    throw new RangeError(`segments must be a positive integer, got ${segments}`);
  const D = ds.frameSize;
  const F = segments * D;
  const rows: number[] = [];
  for (let i = 0; i < ds.count; i++) if (ds.label(i) >= 0) rows.push(i);
  const X = new Float32Array(rows.length * F);
  const y = new Int32Array(rows.length);
  rows.forEach((i, r) => {
    const frames = ds.frames(i);
    const T = ds.length(i);
    y[r] = ds.label(i);
    for (let s = 0; s < segments; s++) {
      const t0 = Math.floor((s * T) / segments);
      const t1 = Math.max(t0 + 1, Math.floor(((s + 1) * T) / segments));
      const dst = r * F + s * D;
      for (let t = t0; t < t1; t++) for (let d = 0; d < D; d++) X[dst + d] += frames[t * D + d] / (t1 - t0);
    }
  });
  return { X, y, N: rows.length, F };
}

export interface SoftmaxModel {
  K: number;
  F: number;
  /** [K, F] */
  W: Float32Array;
  /** [K] */
  b: Float32Array;
  /** Feature standardisation from the training set, [F] each. */
  mean: Float32Array;
  invStd: Float32Array;
}

export interface SoftmaxOptions {
  epochs?: number;
  lr?: number;
  /** L2 weight decay. */
  l2?: number;
  seed?: number;
}

function standardiser(f: Features): { mean: Float32Array; invStd: Float32Array } {
  const mean = new Float32Array(f.F);
  const sq = new Float32Array(f.F);
  for (let n = 0; n < f.N; n++) {
    for (let j = 0; j < f.F; j++) {
      const v = f.X[n * f.F + j];
      mean[j] += v / f.N;
      sq[j] += (v * v) / f.N;
    }
  }
  const invStd = mean.map((m, j) => 1 / Math.sqrt(Math.max(sq[j] - m * m, 0) + 1e-6));
  return { mean, invStd };
}

/** Class scores [K] of one (raw) feature row. */
function logits(m: SoftmaxModel, x: Float32Array, out: Float64Array): Float64Array {
  for (let k = 0; k < m.K; k++) {
    let s = m.b[k];
    for (let j = 0; j < m.F; j++) s += m.W[k * m.F + j] * (x[j] - m.mean[j]) * m.invStd[j];
    out[k] = s;
  }
  return out;
}

/** Trains by full-batch Adam on cross-entropy + L2. */
export function trainSoftmax(f: Features, K: number, o: SoftmaxOptions = {}): SoftmaxModel {
  const { epochs = 300, lr = 0.05, l2 = 1e-3, seed = 1 } = o;
  const { mean, invStd } = standardiser(f);
  const m: SoftmaxModel = { K, F: f.F, W: new Float32Array(K * f.F), b: new Float32Array(K), mean, invStd };
  new Rng(seed).fillNormal(m.W, 0, 0.01);
  const params = [m.W, m.b];
  const grads = params.map((p) => new Float64Array(p.length));
  const mom = params.map((p) => new Float64Array(p.length));
  const vel = params.map((p) => new Float64Array(p.length));
  const z = new Float64Array(K);
  const xs = new Float32Array(f.F);
  for (let ep = 1; ep <= epochs; ep++) {
    for (const g of grads) g.fill(0);
    for (let n = 0; n < f.N; n++) {
      const x = f.X.subarray(n * f.F, (n + 1) * f.F);
      for (let j = 0; j < f.F; j++) xs[j] = (x[j] - mean[j]) * invStd[j];
      logits(m, x, z);
      const max = Math.max(...z);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k] - max);
      for (let k = 0; k < K; k++) {
        const d = (z[k] / sum - (k === f.y[n] ? 1 : 0)) / f.N; // dL/dlogit
        grads[1][k] += d;
        for (let j = 0; j < f.F; j++) grads[0][k * f.F + j] += d * xs[j];
      }
    }
    for (let j = 0; j < m.W.length; j++) grads[0][j] += l2 * m.W[j];
    for (let i = 0; i < params.length; i++) adamStep(params[i], grads[i], mom[i], vel[i], lr, ep);
  }
  return m;
}

function adamStep(p: Float32Array, g: Float64Array, m: Float64Array, v: Float64Array, lr: number, t: number): void {
  const [b1, b2] = [0.9, 0.999];
  const c1 = 1 - b1 ** t;
  const c2 = 1 - b2 ** t;
  for (let i = 0; i < p.length; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
  }
}

export interface Evaluation {
  accuracy: number;
  /** confusion[true][predicted] counts, [K][K]. */
  confusion: number[][];
  /** Accuracy per true class, [K] (NaN for a class without samples). */
  perClass: number[];
}

export function evaluateSoftmax(m: SoftmaxModel, f: Features): Evaluation {
  const confusion = Array.from({ length: m.K }, () => new Array<number>(m.K).fill(0));
  const z = new Float64Array(m.K);
  let correct = 0;
  for (let n = 0; n < f.N; n++) {
    logits(m, f.X.subarray(n * f.F, (n + 1) * f.F), z);
    let best = 0;
    for (let k = 1; k < m.K; k++) if (z[k] > z[best]) best = k;
    confusion[f.y[n]][best]++;
    if (best === f.y[n]) correct++;
  }
  const perClass = confusion.map((row, k) => row[k] / row.reduce((a, b) => a + b, 0));
  return { accuracy: f.N > 0 ? correct / f.N : Number.NaN, confusion, perClass };
}

export interface BaselineResult {
  segments: number;
  train: { samples: number; accuracy: number };
  test: Evaluation & { samples: number };
}

/** Trains on one dataset and evaluates on another (same labels and preprocessing). */
export function runBaseline(
  train: SkeletonDataset,
  test: SkeletonDataset,
  segments = 1,
  o: SoftmaxOptions = {},
): BaselineResult {
  if (train.labels.length !== test.labels.length) {
    throw new RangeError(
      `train has ${train.labels.length} classes, test ${test.labels.length}: build both from one folder`,
    );
  }
  const ftr = meanPoseFeatures(train, segments);
  const fte = meanPoseFeatures(test, segments);
  if (ftr.N === 0 || fte.N === 0)
    throw new RangeError(`baseline needs labelled samples: train has ${ftr.N}, test ${fte.N}`);
  const model = trainSoftmax(ftr, train.labels.length, o);
  const ev = evaluateSoftmax(model, fte);
  return {
    segments,
    train: { samples: ftr.N, accuracy: evaluateSoftmax(model, ftr).accuracy },
    test: { ...ev, samples: fte.N },
  };
}
