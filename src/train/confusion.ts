// Per-class evaluation of a classifier on a held-out part of its task (test by default): confusion matrix,
// per-class and overall accuracy (read at each sequence's last step).
import type { Network } from '../nn/network.js';
import type { Seq } from '../nn/seq.js';
import { argmaxRow } from './objective.js';
import type { EvalPart, Task } from './task.js';

export interface ClassReport {
  labels: string[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  perClass: { label: string; accuracy: number; count: number }[];
  accuracy: number;
  count: number;
}

/** A classifier's logits [T, B, K] for a batch x [T, B, D] (a network's forward, or an exported model's run). */
export type ClassifierRun = (x: Seq) => Promise<{ data: Float32Array; T: number }>;

/** A network's forward at inference, as a ClassifierRun. */
export const networkRun =
  (net: Network): ClassifierRun =>
  (x) =>
    net.forward(x, { training: false });

export async function classReport(
  run: ClassifierRun,
  task: Task,
  batchSize: number,
  part: EvalPart = 'test',
): Promise<ClassReport> {
  if (task.kind !== 'classification') throw new Error(`task ${task.name} is not a classification task`);
  const K = task.numOutputs;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (const batch of task.evalBatches(batchSize, part)) {
    const logits = await run(batch.x);
    const B = batch.x.B;
    const lastRow = (logits.T - 1) * B;
    for (let b = 0; b < B; b++) {
      const truth = batch.labels ? batch.labels[b] : batch.frameLabels![(batch.x.T - 1) * B + b];
      if (truth >= 0) confusion[truth][argmaxRow(logits.data, lastRow + b, K)]++;
    }
  }
  const labels = task.labels ? [...task.labels] : Array.from({ length: K }, (_, k) => String(k));
  const perClass = confusion.map((row, k) => {
    const count = row.reduce((a, b) => a + b, 0);
    return { label: labels[k], accuracy: count > 0 ? row[k] / count : Number.NaN, count };
  });
  const count = perClass.reduce((a, c) => a + c.count, 0);
  const correct = confusion.reduce((a, row, k) => a + row[k], 0);
  return { labels, confusion, perClass, accuracy: count > 0 ? correct / count : Number.NaN, count };
}
