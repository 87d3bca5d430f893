// Turning logits into what a user reads: label, probability, top-k and (on request) a per-frame timeline.
// Shared by `indrnn predict` (ONNX or checkpoint) and the server, so all of them answer alike.
import type { ModelLabel } from '../onnx/metadata.js';

export interface ScoredLabel {
  label: string;
  index: number;
  probability: number;
  ntuAction?: number;
}

export interface ClassPrediction extends ScoredLabel {
  topK: ScoredLabel[];
  frames: number;
  /** Per frame: the label and probability the model gives after seeing frames 0..t. */
  timeline?: ScoredLabel[];
}

export interface RegressionPrediction {
  value: number;
  frames: number;
  timeline?: number[];
}

export interface ResultOptions {
  topK: number;
  timeline: boolean;
}

/**
 * The k most probable classes of one logits row logits[offset .. offset + K), by softmax, most probable
 * first (ties: the lower index first). O(K k) and no copy of the row: the server runs this for every
 * prediction of every stream.
 */
function ranked(
  logits: Float32Array,
  offset: number,
  K: number,
  labels: readonly ModelLabel[],
  k: number,
): ScoredLabel[] {
  let max = -Infinity;
  for (let c = 0; c < K; c++) max = Math.max(max, logits[offset + c]);
  let sum = 0;
  for (let c = 0; c < K; c++) sum += Math.exp(logits[offset + c] - max);
  const top: number[] = []; // class indices, best first
  const n = Math.min(Math.max(1, k), K);
  for (let c = 0; c < K; c++) {
    const v = logits[offset + c];
    if (top.length === n) {
      if (v <= logits[offset + top[n - 1]]) continue;
      top.pop();
    }
    let at = top.length;
    while (at > 0 && v > logits[offset + top[at - 1]]) at--;
    top.splice(at, 0, c);
  }
  return top.map((index) => {
    const l = labels[index];
    const label = l?.name ?? String(index);
    const probability = Math.fround(Math.exp(logits[offset + index] - max) / sum);
    return l?.ntuAction !== undefined
      ? { label, index, probability, ntuAction: l.ntuAction }
      : { label, index, probability };
  });
}

// No object spread ({...a}) on these paths: in Node 20 (V8 11.3) objects made by spreading survived young-
// generation collections and were promoted, ~0.3 MB per scavenge at 100 streams, and the scavenges took 2-4 ms
// instead of under 1 (docs/streaming.md). Object literals and Object.assign do not do this.

/** A ranked label with topK and frames, in the order of the JSON answer. */
function withTop(best: ScoredLabel, topK: ScoredLabel[], frames: number): ClassPrediction {
  const { label, index, probability, ntuAction } = best;
  return ntuAction !== undefined
    ? { label, index, probability, ntuAction, topK, frames }
    : { label, index, probability, topK, frames };
}

/** logits [T, B, K] -> the prediction for sequence b, read at frame `last` (its own last frame). */
export function classPrediction(
  logits: Float32Array,
  B: number,
  K: number,
  b: number,
  last: number,
  labels: readonly ModelLabel[],
  opts: ResultOptions,
): ClassPrediction {
  const rowAt = (t: number) => (t * B + b) * K;
  const top = ranked(logits, rowAt(last), K, labels, opts.topK);
  const result = withTop(top[0], top, last + 1);
  if (opts.timeline)
    result.timeline = Array.from({ length: last + 1 }, (_, t) => ranked(logits, rowAt(t), K, labels, 1)[0]);
  return result;
}

/** logits [T, B, 1] -> the regression output for sequence b at frame `last`. */
export function regressionPrediction(
  logits: Float32Array,
  B: number,
  b: number,
  last: number,
  opts: ResultOptions,
): RegressionPrediction {
  const result: RegressionPrediction = { value: logits[last * B + b], frames: last + 1 };
  if (opts.timeline) result.timeline = Array.from({ length: last + 1 }, (_, t) => logits[t * B + b]);
  return result;
}
