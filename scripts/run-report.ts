// What the model-card scripts read from a finished training run, and the tables they share (the plots are
// src/train/plots.ts, shared with the CLI).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type PlotKind, plotFile } from '../src/host/model-plots.js';
import type { OrtBackend } from '../src/nn/backend.js';
import { type Checkpoint, loadNetwork } from '../src/train/checkpoint.js';
import { type ClassReport, classReport, networkRun } from '../src/train/confusion.js';
import { evaluatedOn } from '../src/train/plots.js';
import { createTask } from '../src/train/tasks/index.js';
import type { TrainSummary } from '../src/train/trainer.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';

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
  return { report: await classReport(networkRun(net), task, 256), ckpt, summary };
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

export const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Every 10th evaluation and the last, as a table. */
export function historyTable(s: TrainSummary): string {
  const h = s.history;
  const every = Math.max(1, Math.round(h.length / 10));
  const rows = h.filter((_, i) => i % every === 0 || i === h.length - 1);
  return [
    `| step | epoch | lr | train loss | train accuracy | ${evaluatedOn(s)} accuracy |`,
    '|---|---|---|---|---|---|',
    ...rows.map(
      (e) =>
        `| ${e.step} | ${e.epoch ?? '-'} | ${e.lr.toExponential(1)} | ${e.trainLoss.toFixed(3)} | ${pct(e.trainMetric)} | ${pct(e.evalMetric)} |`,
    ),
  ].join('\n');
}

/**
 * Writes a model card's plots beside its model, under the names the server serves them by
 * (models/<name>-curves.svg, -confusion.svg: src/host/model-plots.ts); returns the file names written.
 */
export function writeCardPlots(
  models: string,
  name: string,
  plots: Partial<Record<PlotKind, string>>,
): Record<PlotKind, string> {
  const names = {} as Record<PlotKind, string>;
  for (const [kind, svg] of Object.entries(plots) as [PlotKind, string][]) {
    const path = plotFile(join(models, `${name}.onnx`), kind);
    writeFileAtomic(path, svg);
    names[kind] = basename(path);
  }
  return names;
}
