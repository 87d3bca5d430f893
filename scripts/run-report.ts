// What the model-card scripts read from a finished training run, and the tables and curves they share.
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

export const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** What the run's evaluations during training read: its validation part, or (older runs, none) the held-out test part. */
function evaluatedOn(s: TrainSummary): string {
  return s.selection === 'validation' ? 'validation accuracy' : 'held-out accuracy';
}

/** Held-out accuracy (solid) and training loss (dashed) per evaluation, a standalone SVG. */
export function curvesSvg(summary: TrainSummary): string {
  const [W, H, pad] = [640, 300, 44];
  const h = summary.history;
  const maxStep = Math.max(...h.map((e) => e.step));
  const maxLoss = Math.max(...h.map((e) => e.trainLoss));
  const x = (step: number) => pad + ((W - 2 * pad) * step) / maxStep;
  const y = (v: number) => H - pad - (H - 2 * pad) * v;
  const points = (f: (e: (typeof h)[number]) => number) =>
    h.map((e) => `${x(e.step).toFixed(1)},${y(f(e)).toFixed(1)}`).join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">training step (max ${maxStep})</text>`,
    `<text x="8" y="${pad - 10}">${evaluatedOn(summary)} 0-100 % (solid), train loss 0-${maxLoss.toFixed(2)} (dashed)</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points((e) => e.evalMetric)}"/>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" stroke-dasharray="5,4" points="${points((e) => e.trainLoss / maxLoss)}"/>`,
    '</svg>',
  ].join('\n');
}

/** Every 10th evaluation and the last, as a table. */
export function historyTable(s: TrainSummary): string {
  const h = s.history;
  const every = Math.max(1, Math.round(h.length / 10));
  const rows = h.filter((_, i) => i % every === 0 || i === h.length - 1);
  return [
    `| step | epoch | lr | train loss | train accuracy | ${evaluatedOn(s)} |`,
    '|---|---|---|---|---|---|',
    ...rows.map(
      (e) =>
        `| ${e.step} | ${e.epoch ?? '-'} | ${e.lr.toExponential(1)} | ${e.trainLoss.toFixed(3)} | ${pct(e.trainMetric)} | ${pct(e.evalMetric)} |`,
    ),
  ].join('\n');
}
