// Turning logits into what a user reads: label, probability, top-k and (on request) a per-frame timeline.
// Shared by `indrnn predict` (ONNX or checkpoint) and the server, so all of them answer alike.
import { softmaxRows } from '../nn/loss.js';
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

function ranked(probs: Float32Array, labels: readonly ModelLabel[], k: number): ScoredLabel[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  return order.slice(0, Math.max(1, k)).map((index) => {
    const l = labels[index];
    return {
      label: l?.name ?? String(index),
      index,
      probability: probs[index],
      ...(l?.ntuAction !== undefined ? { ntuAction: l.ntuAction } : {}),
    };
  });
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
  const row = (t: number) => softmaxRows(logits.slice((t * B + b) * K, (t * B + b + 1) * K), 1, K);
  const top = ranked(row(last), labels, opts.topK);
  const result: ClassPrediction = { ...top[0], topK: top, frames: last + 1 };
  if (opts.timeline) result.timeline = Array.from({ length: last + 1 }, (_, t) => ranked(row(t), labels, 1)[0]);
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
