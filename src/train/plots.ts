// Training curves and confusion matrices as standalone SVG (text, no plotting dependency), with axes, ticks
// and a legend: `indrnn train` writes curves.svg beside summary.json, `indrnn eval` confusion.svg beside the
// checkpoint, the model-card scripts models/<name>-curves.svg and -confusion.svg, and the live page shows
// them with a model's card (GET /v1/models/{name}/plots).

import { niceTicks } from '../util/nice-ticks.js';
import type { EvalRecord } from './checkpoint.js';
import type { TrainSummary } from './trainer.js';

/** In a run folder: `indrnn train` writes its curves beside summary.json, `indrnn eval` its confusion matrix. */
export const CURVES_FILE = 'curves.svg';
export const CONFUSION_FILE = 'confusion.svg';

/** One run's curves: its metric per evaluation (solid) and its training loss (dashed), in one colour. */
export interface CurveRun {
  label: string;
  colour: string;
  history: readonly EvalRecord[];
}

export interface CurvesOptions {
  /** accuracy: 0-100 %; mse: 0 to the largest value. */
  metric: 'accuracy' | 'mse';
  /** What the evaluations read, for the legend: "validation", "test". */
  evaluatedOn: string;
  /** The step whose weights the model keeps (a dotted line), when known. */
  chosenStep?: number | null;
  title?: string;
}

const FONT = 'font-family="system-ui, sans-serif" font-size="12"';
const AXIS = '#4a5568';
const GRID = '#e2e8f0';
/** A single run: metric blue, loss orange (two runs: each its own colour, loss dashed). */
const METRIC_COLOUR = '#2b6cb0';
const LOSS_COLOUR = '#c05621';

/** Text for an SVG document: & < > " ' escaped (labels come from data files). */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

/** A tick's text: 12000 -> 12k, 0.25 -> 0.25. */
function tickText(v: number): string {
  if (v >= 10_000 && v % 1000 === 0) return `${v / 1000}k`;
  return String(Number(v.toPrecision(4)));
}

const num = (v: number) => v.toFixed(1);

/** An SVG path through the points, broken where a value is not finite (a NaN loss). */
function pathOf(points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(x)},${num(y)}`;
    pen = true;
  }
  return d;
}

/** Evaluation metric (solid, left axis) and training loss (dashed, right axis) per evaluation, for one or more runs. */
export function curvesSvg(runs: readonly CurveRun[], o: CurvesOptions): string {
  const [W, H] = [560, 300];
  const [left, right, top, bottom] = [52, 58, 48 + 16 * Math.max(0, runs.length - 1), 38];
  const title = o.title ?? 'Training curves';
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}><title>${escapeXml(title)}</title><rect width="${W}" height="${H}" fill="white"/>`;
  const records = runs.flatMap((r) => r.history);
  if (records.length === 0) {
    return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="${AXIS}">no evaluations yet</text></svg>\n`;
  }
  const finite = (xs: number[]) => xs.filter(Number.isFinite);
  const stepTicks = niceTicks(Math.max(1, ...records.map((e) => e.step)));
  const lossTicks = niceTicks(Math.max(0, ...finite(records.map((e) => e.trainLoss))));
  const metricTicks =
    o.metric === 'accuracy'
      ? [0, 0.25, 0.5, 0.75, 1]
      : niceTicks(Math.max(0, ...finite(records.map((e) => e.evalMetric))));
  const [x0, x1, y0, y1] = [left, W - right, H - bottom, top];
  const x = (step: number) => x0 + ((x1 - x0) * step) / stepTicks.at(-1)!;
  const yOf = (ticks: number[]) => (v: number) => y0 - ((y0 - y1) * v) / ticks.at(-1)!;
  const yMetric = yOf(metricTicks);
  const yLoss = yOf(lossTicks);
  const metricText = (v: number) => (o.metric === 'accuracy' ? `${Math.round(100 * v)} %` : tickText(v));
  const parts = [head];
  for (const t of metricTicks) {
    const y = num(yMetric(t));
    parts.push(
      `<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="${GRID}"/>`,
      `<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="${AXIS}">${metricText(t)}</text>`,
    );
  }
  for (const t of lossTicks) {
    parts.push(`<text x="${x1 + 6}" y="${num(yLoss(t))}" dy="4" fill="${AXIS}">${tickText(t)}</text>`);
  }
  for (const t of stepTicks) {
    const xt = num(x(t));
    parts.push(
      `<line x1="${xt}" y1="${y0}" x2="${xt}" y2="${y0 + 4}" stroke="${AXIS}"/>`,
      `<text x="${xt}" y="${y0 + 16}" text-anchor="middle" fill="${AXIS}">${tickText(t)}</text>`,
    );
  }
  parts.push(
    `<path d="M${x0},${y1}V${y0}H${x1}V${y1}" fill="none" stroke="${AXIS}"/>`,
    `<text x="${(x0 + x1) / 2}" y="${H - 6}" text-anchor="middle" fill="${AXIS}">training step</text>`,
  );
  const chosen = typeof o.chosenStep === 'number' ? o.chosenStep : null;
  if (chosen !== null) {
    const xc = num(x(chosen));
    parts.push(`<line x1="${xc}" y1="${y0}" x2="${xc}" y2="${y1}" stroke="${AXIS}" stroke-dasharray="2,3"/>`);
  }
  const metricName = `${o.evaluatedOn} ${o.metric === 'accuracy' ? 'accuracy' : 'MSE'}`;
  const single = runs.length === 1;
  runs.forEach((r, i) => {
    const cm = single ? METRIC_COLOUR : r.colour;
    const cl = single ? LOSS_COLOUR : r.colour;
    const metric = pathOf(r.history.map((e) => [x(e.step), yMetric(e.evalMetric)]));
    const loss = pathOf(r.history.map((e) => [x(e.step), yLoss(e.trainLoss)]));
    parts.push(
      `<path d="${loss}" fill="none" stroke="${cl}" stroke-width="1.5" stroke-dasharray="5,4"/>`,
      `<path d="${metric}" fill="none" stroke="${cm}" stroke-width="2"/>`,
    );
    // Legend, above the plot, one row per run: a line sample and its text per item, left to right.
    const items: [string, string, string][] = [
      [cm, '', `${single ? '' : `${r.label}: `}${metricName} (left)`],
      [cl, '5,4', 'training loss (right)'],
    ];
    if (i === 0 && chosen !== null) items.push([AXIS, '2,3', `chosen weights: step ${chosen}`]);
    legendRow(parts, 16 + 16 * i, items);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Legend items [colour, dash, text] from the left edge, each a short line and its text (11 px, ~6 px a character). */
function legendRow(parts: string[], y: number, items: [string, string, string][]): void {
  let x = 8;
  for (const [colour, dash, text] of items) {
    const dashed = dash ? ` stroke-dasharray="${dash}"` : '';
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${colour}" stroke-width="2"${dashed}/>`,
      `<text x="${x + 27}" y="${y}" font-size="11">${escapeXml(text)}</text>`,
    );
    x += 27 + 6 * text.length + 16;
  }
}

/** What a run's evaluations during training read: its validation part, or (none) the held-out test part. */
export function evaluatedOn(s: Pick<TrainSummary, 'selection'>): string {
  return s.selection === 'validation' ? 'validation' : 'held-out';
}

/** The curves of one finished run (`indrnn train`'s curves.svg). */
export function trainingCurvesSvg(s: TrainSummary, title = `Training curves: ${s.task}`): string {
  return curvesSvg([{ label: s.task, colour: METRIC_COLOUR, history: s.history }], {
    metric: s.metric,
    evaluatedOn: evaluatedOn(s),
    chosenStep: s.selection === 'validation' ? s.bestStep : null,
    title,
  });
}

export interface ConfusionInput {
  labels: readonly string[];
  /** confusion[true][predicted] counts. */
  confusion: readonly (readonly number[])[];
}

/** Longest label shown beside a row (longer: cut with an ellipsis; the cell's tooltip has it whole). */
const LABEL_CHARS = 28;

/**
 * confusion[true][predicted] as a grid: rows the true classes (index and label), columns the predicted
 * index, each cell shaded by its share of the row, with its count where the cell is big enough (and in
 * its tooltip), and each row's recall at the right.
 */
export function confusionSvg(r: ConfusionInput, title = 'Confusion matrix'): string {
  const K = r.labels.length;
  const cell = K <= 12 ? 30 : K <= 24 ? 20 : 12;
  /** Counts are written in cells of 20 px and more, as large as their digits fit. */
  const countFont = (c: number) => (cell >= 20 ? Math.min(11, (cell - 3) / (0.62 * String(c).length)) : 0);
  const name = (k: number) => {
    const l = `${k} ${r.labels[k]}`;
    return l.length > LABEL_CHARS ? `${l.slice(0, LABEL_CHARS - 1)}…` : l;
  };
  const labelWidth = 12 + 6.6 * Math.max(4, ...r.labels.map((_, k) => name(k).length));
  const rowSums = r.confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const correct = r.confusion.reduce((a, row, k) => a + (row[k] ?? 0), 0);
  const [left, top] = [labelWidth, 58];
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '–');
  const heading = `${title}: accuracy ${pct(correct / total)} of ${total}`;
  const W = Math.ceil(Math.max(left + K * cell + 60, 8 + 7.2 * heading.length));
  const H = Math.ceil(top + K * cell + 12);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT}><title>${escapeXml(title)}</title><rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="4" y="16" font-weight="600">${escapeXml(heading)}</text>`,
    `<text x="4" y="${top - 8}" fill="${AXIS}">true \u2193 predicted \u2192</text>`,
    `<text x="${left + K * cell + 6}" y="${top - 8}" fill="${AXIS}">recall</text>`,
  ];
  for (let j = 0; j < K; j++) {
    if (cell < 20 && j % 5 !== 0) continue; // small cells: every 5th index
    parts.push(
      `<text x="${num(left + (j + 0.5) * cell)}" y="${top - 8}" text-anchor="middle" fill="${AXIS}">${j}</text>`,
    );
  }
  for (let k = 0; k < K; k++) {
    const y = top + k * cell;
    parts.push(
      `<text x="${left - 6}" y="${num(y + cell / 2)}" dy="4" text-anchor="end" font-size="${Math.min(12, cell - 1)}">${escapeXml(name(k))}</text>`,
    );
    for (let j = 0; j < K; j++) {
      const c = r.confusion[k]?.[j] ?? 0;
      const share = rowSums[k] > 0 ? c / rowSums[k] : 0;
      const fill = c === 0 ? '#f7fafc' : shade(share, j === k);
      const tip = `true ${escapeXml(r.labels[k])}, predicted ${escapeXml(r.labels[j] ?? String(j))}: ${c}`;
      parts.push(
        `<rect x="${left + j * cell}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"><title>${tip}</title></rect>`,
      );
      if (countFont(c) > 0 && c > 0) {
        parts.push(
          `<text x="${num(left + (j + 0.5) * cell - 0.5)}" y="${num(y + cell / 2)}" dy="4" text-anchor="middle" font-size="${num(countFont(c))}" fill="${share > 0.5 ? 'white' : '#1a202c'}">${c}</text>`,
        );
      }
    }
    parts.push(
      `<text x="${left + K * cell + 6}" y="${num(y + cell / 2)}" dy="4" font-size="${Math.min(12, cell - 1)}" fill="${AXIS}">${rowSums[k] > 0 ? `${Math.round((100 * (r.confusion[k][k] ?? 0)) / rowSums[k])} %` : '–'}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A cell's colour by its share of the row: the diagonal blue, mistakes red, lighter for smaller shares. */
function shade(share: number, diagonal: boolean): string {
  const [r, g, b] = diagonal ? [43, 108, 176] : [197, 48, 48];
  const a = 0.12 + 0.88 * Math.min(1, share);
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}
