// Held-out evaluation in eval mode (BN running statistics, no dropout), on the task's test or validation part.
import type { Network } from '../nn/network.js';
import { evaluateBatch } from './objective.js';
import type { EvalPart, Task } from './task.js';

export interface EvalResult {
  loss: number;
  /** Accuracy (fraction) for classification, MSE for regression. */
  metric: number;
  sequences: number;
}

export async function evaluate(
  net: Network,
  task: Task,
  batchSize: number,
  part: EvalPart = 'test',
): Promise<EvalResult> {
  let lossSum = 0;
  let metricSum = 0;
  let sequences = 0;
  for (const batch of task.evalBatches(batchSize, part)) {
    const logits = await net.forward(batch.x, { training: false });
    const r = evaluateBatch(task, logits, batch);
    lossSum += r.loss * r.sequences;
    metricSum += r.metricSum;
    sequences += r.sequences;
  }
  if (sequences === 0) throw new Error(`task ${task.name} has an empty ${part} part`);
  return { loss: lossSum / sequences, metric: metricSum / sequences, sequences };
}
