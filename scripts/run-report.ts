// What both model-card scripts read from a finished training run, and the confusion matrix as Markdown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrtBackend } from '../src/nn/backend.js';
import { type Checkpoint, loadNetwork } from '../src/train/checkpoint.js';
import { type ClassReport, classReport } from '../src/train/confusion.js';
import { createTask } from '../src/train/tasks/index.js';
import type { TrainSummary } from '../src/train/trainer.js';

export interface EvaluatedRun {
  report: ClassReport;
  ckpt: Checkpoint;
  summary: TrainSummary;
}

/** The run in `dir` (checkpoint.safetensors, summary.json) evaluated per class on its task's held-out set. */
export async function evaluateRun(dir: string, backend: OrtBackend): Promise<EvaluatedRun> {
  const { net, ckpt } = loadNetwork(join(dir, 'checkpoint.safetensors'), backend);
  const task = createTask(ckpt.config.task, ckpt.config.seed);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as TrainSummary;
  return { report: await classReport(net, task, 256), ckpt, summary };
}

/** confusion[true][predicted] as a Markdown table, the diagonal in bold and zeros as dots. */
export function confusionTable(r: ClassReport): string {
  const head = `| true \\ predicted | ${r.labels.map((_, k) => k).join(' | ')} |`;
  const sep = `|---|${r.labels.map(() => '---').join('|')}|`;
  const rows = r.confusion.map(
    (row, k) =>
      `| ${k} ${r.labels[k]} | ${row.map((c, j) => (j === k ? `**${c}**` : c === 0 ? '.' : String(c))).join(' | ')} |`,
  );
  return [head, sep, ...rows].join('\n');
}
