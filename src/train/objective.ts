// Turns a network output and a batch into a loss, its gradient and the task's metric counts.
import { type LossResult, meanSquaredError, softmaxCrossEntropy } from '../nn/loss.js';
import type { Seq } from '../nn/seq.js';
import type { Batch, Task } from './task.js';

export interface BatchResult extends LossResult {
  /** Sequences in the batch. */
  sequences: number;
  /** Classification: sequences whose last-step prediction is right. Regression: Σ squared error. */
  metricSum: number;
}

/** Class targets for every output row: [Tout, B], from per-frame labels or the sequence label repeated. */
function classTargets(batch: Batch, Tout: number): Int32Array {
  const { B, T } = batch.x;
  if (Tout === 1) {
    if (batch.labels) return batch.labels;
    return batch.frameLabels!.slice((T - 1) * B);
  }
  if (batch.frameLabels) return batch.frameLabels;
  const targets = new Int32Array(Tout * B);
  for (let t = 0; t < Tout; t++) targets.set(batch.labels!, t * B);
  return targets;
}

/** Index of the largest value in row r of x[., K]. */
export function argmaxRow(x: Float32Array, r: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (x[r * K + k] > x[r * K + best]) best = k;
  return best;
}

/** logits: [Tout, B, K] with Tout = 1 ('last' readout) or T ('all'). */
export function evaluateBatch(task: Task, logits: Seq, batch: Batch): BatchResult {
  const B = batch.x.B;
  const K = logits.C;
  if (task.kind === 'regression') {
    const pred = logits.data.subarray((logits.T - 1) * B * K);
    const r = meanSquaredError(logits.T === 1 ? logits.data : pred, batch.values!);
    if (logits.T !== 1) r.grad = expandLastStep(r.grad, logits.T, B * K);
    return { ...r, sequences: B, metricSum: r.loss * B };
  }
  const targets = classTargets(batch, logits.T);
  const r = softmaxCrossEntropy(logits.data, targets, logits.T * B, K);
  // The metric is always read at each sequence's last step.
  const lastTargets = logits.T === 1 ? targets : targets.subarray((logits.T - 1) * B);
  let correct = 0;
  const lastRow = (logits.T - 1) * B;
  for (let b = 0; b < B; b++) if (argmaxRow(logits.data, lastRow + b, K) === lastTargets[b]) correct++;
  return { ...r, sequences: B, metricSum: correct };
}

function expandLastStep(grad: Float32Array, T: number, rowSize: number): Float32Array {
  const full = new Float32Array(T * rowSize);
  full.set(grad, (T - 1) * rowSize);
  return full;
}

/** Accuracy (fraction) for classification, MSE for regression. */
export function metricName(task: Task): 'accuracy' | 'mse' {
  return task.kind === 'classification' ? 'accuracy' : 'mse';
}

/** A metric as logs and summaries show it: accuracy in percent, an error (MSE) as a number. */
export function metricText(metric: string, value: number): string {
  return metric === 'accuracy' ? `${(value * 100).toFixed(2)} %` : value.toPrecision(4);
}

export function isBetter(task: Task, a: number, b: number): boolean {
  return task.kind === 'classification' ? a > b : a < b;
}
