// "Inside the network": per recurrent layer, the distribution of |u| and of the neurons' time constants
// (GET /v1/models/{name}/neurons), and during playback a heat map of the layer's most active neurons over
// the last steps (from the stream's per-layer states, config layerStates).
import { niceTicks } from '../util/nice-ticks.js';
import type { Neurons } from './api.js';
import { type CanvasSize, trackCanvasSize } from './canvas-size.js';

const BINS = 20;
/** Heat map: the most active neurons of a layer (rows) over the last steps (columns). */
const ROWS = 16;
const COLUMNS = 120;
/** Histogram margins, CSS pixels: the count axis at the left, the value axis below. */
const [LEFT, BOTTOM, TOP, RIGHT] = [26, 15, 6, 8];
const AXIS_FONT = '10px system-ui, sans-serif';
const MUTED = '#4a5568';

/** A histogram's bars and its value axis: tick texts at fractions (0..1) of the bars' width. */
interface HistogramSpec {
  counts: number[];
  colour: string;
  ticks: { at: number; text: string }[];
}

/** Bars over a value axis with ticks, and the count axis (0 and the largest count) at the left. */
function drawHistogram(canvas: HTMLCanvasElement, h: HistogramSpec, size: CanvasSize): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = size;
  ctx.clearRect(0, 0, W, H);
  const max = Math.max(1, ...h.counts);
  const [x0, x1, y0, y1] = [LEFT, W - RIGHT, H - BOTTOM, TOP];
  const w = (x1 - x0) / h.counts.length;
  ctx.fillStyle = h.colour;
  h.counts.forEach((c, i) => {
    const bar = (c / max) * (y0 - y1);
    ctx.fillRect(x0 + i * w + 0.5, y0 - bar, Math.max(1, w - 1), bar);
  });
  ctx.strokeStyle = '#a0aec0';
  ctx.beginPath();
  ctx.moveTo(x0 - 0.5, y1);
  ctx.lineTo(x0 - 0.5, y0 + 0.5);
  ctx.lineTo(x1, y0 + 0.5);
  ctx.stroke();
  ctx.font = AXIS_FONT;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'right';
  ctx.fillText(String(max), x0 - 3, y1 + 8);
  ctx.fillText('0', x0 - 3, y0);
  ctx.textAlign = 'center';
  // Ticks left to right; a text that would touch the one before it is left out (a narrow canvas).
  let free = -Infinity;
  for (const t of h.ticks) {
    const x = x0 + t.at * (x1 - x0);
    ctx.fillRect(Math.round(x), y0, 1, 3);
    const half = ctx.measureText(t.text).width / 2;
    const at = Math.min(Math.max(x, half), W - half);
    if (at - half < free) continue;
    ctx.fillText(t.text, at, H - 2);
    free = at + half + 4;
  }
  ctx.textAlign = 'left';
}

/** A histogram canvas that redraws itself at its size on the screen. */
function histogramCanvas(h: HistogramSpec, label: string): HTMLCanvasElement {
  const canvas = el('canvas', undefined, 'histogram');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  trackCanvasSize(canvas, (size) => drawHistogram(canvas, h, size));
  return canvas;
}

/** Ticks of |u| from 0 to maxU: 0, round values, maxU's bin edge. */
function uTicks(maxU: number): HistogramSpec['ticks'] {
  return niceTicks(maxU, 3)
    .filter((t) => t <= maxU)
    .map((t) => ({ at: t / maxU, text: String(Number(t.toPrecision(3))) }));
}

/** Time constants on a log scale, 0.1 to 1000 steps over the first BINS - 1 bins; never fading in the last. */
const TAU_TICKS: HistogramSpec['ticks'] = [
  ...[0.1, 1, 10, 100, 1000].map((v) => ({ at: (((Math.log10(v) + 1) / 4) * (BINS - 1)) / BINS, text: String(v) })),
  { at: (BINS - 0.5) / BINS, text: '∞' },
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

interface LayerView {
  heat: HTMLCanvasElement;
  /** [COLUMNS][H] activations of the last steps, a ring. */
  history: Float32Array[];
  column: number;
  /** Running sum of each neuron's activation: the top rows are the most active so far. */
  total: Float64Array;
}

export class NeuronsView {
  private layers: LayerView[] = [];

  constructor(private readonly root: HTMLElement) {}

  clear(message: string): void {
    this.layers = [];
    this.root.replaceChildren(el('p', message, 'muted'));
  }

  show(n: Neurons): void {
    this.layers = [];
    const rows: HTMLElement[] = [];
    const stepUnit = n.stepRate ? `steps (${n.stepRate}/s)` : 'steps';
    for (const layer of n.layers) {
      const H = layer.u.length;
      const abs = layer.u.map(Math.abs);
      const maxU = Math.max(1, ...abs);
      const uCounts = new Array(BINS).fill(0);
      for (const a of abs) uCounts[Math.min(BINS - 1, Math.floor((a / maxU) * BINS))]++;
      // Time constants on a log scale from 0.1 to 1000 steps; no decay (|u| >= 1) gets the last bin.
      const tauCounts = new Array(BINS).fill(0);
      let lasting = 0;
      for (const tau of layer.timeConstant) {
        if (tau === null) {
          lasting++;
          tauCounts[BINS - 1]++;
          continue;
        }
        const x = (Math.log10(Math.max(0.1, tau)) + 1) / 4; // 0.1 .. 1000 -> 0 .. 1
        tauCounts[Math.min(BINS - 2, Math.max(0, Math.floor(x * (BINS - 1))))]++;
      }
      const finite = layer.timeConstant.filter((t): t is number => t !== null).sort((a, b) => a - b);
      const median = finite.length ? finite[Math.floor(finite.length / 2)] : null;
      const box = el('figure', undefined, 'layer');
      box.dataset.layer = String(layer.layer);
      box.append(el('figcaption', `Layer ${layer.layer + 1}: ${H} neurons`));
      const uCanvas = histogramCanvas(
        { counts: uCounts, colour: '#3182ce', ticks: uTicks(maxU) },
        `histogram of |u| from 0 to ${maxU.toFixed(2)}`,
      );
      const tauCanvas = histogramCanvas(
        { counts: tauCounts, colour: '#805ad5', ticks: TAU_TICKS },
        'histogram of time constants, 0.1 to 1000 steps, log scale; never fading at the right',
      );
      const heat = el('canvas', undefined, 'heat');
      heat.width = COLUMNS * 2;
      heat.height = ROWS * 6;
      heat.setAttribute('role', 'img');
      heat.setAttribute(
        'aria-label',
        `the ${ROWS} most active neurons of layer ${layer.layer + 1} over the last ${COLUMNS} steps`,
      );
      box.append(
        el('span', 'recurrent weight |u|: neurons per bin', 'small'),
        uCanvas,
        el(
          'span',
          `time constant, ${stepUnit}, log scale: median ${median === null ? '–' : median.toFixed(1)}; ${lasting} never fade (∞)`,
          'small',
        ),
        tauCanvas,
        el(
          'span',
          `the ${ROWS} most active neurons (rows) over the last ${COLUMNS} steps (newest at the right)`,
          'small',
        ),
        heat,
      );
      rows.push(box);
      this.layers.push({
        heat,
        history: Array.from({ length: COLUMNS }, () => new Float32Array(H)),
        column: 0,
        total: new Float64Array(H),
      });
    }
    this.root.replaceChildren(...rows);
  }

  /** Restarts the heat maps (a new recording or stream). */
  reset(): void {
    for (const v of this.layers) {
      for (const h of v.history) h.fill(0);
      v.total.fill(0);
      v.column = 0;
      v.heat.getContext('2d')!.clearRect(0, 0, v.heat.width, v.heat.height);
    }
  }

  /** One step's states [L][H]: add a column to every layer's heat map. */
  step(layers: number[][]): void {
    layers.forEach((h, l) => {
      const v = this.layers[l];
      if (!v || h.length !== v.total.length) return;
      const col = v.history[v.column % COLUMNS];
      for (let i = 0; i < h.length; i++) {
        col[i] = h[i];
        v.total[i] += h[i];
      }
      v.column++;
      this.drawHeat(v);
    });
  }

  private drawHeat(v: LayerView): void {
    const order = Array.from(v.total.keys())
      .sort((a, b) => v.total[b] - v.total[a])
      .slice(0, ROWS);
    const ctx = v.heat.getContext('2d')!;
    const n = Math.min(v.column, COLUMNS);
    let max = 1e-6;
    for (let c = 0; c < n; c++) for (const i of order) max = Math.max(max, v.history[c][i]);
    ctx.fillStyle = '#0b0f19';
    ctx.fillRect(0, 0, v.heat.width, v.heat.height);
    for (let k = 0; k < n; k++) {
      const c = (v.column - n + k) % COLUMNS;
      order.forEach((i, r) => {
        const a = v.history[c][i] / max;
        if (a <= 0) return;
        ctx.fillStyle = `rgba(255, ${Math.round(140 + 115 * a)}, 0, ${a.toFixed(3)})`;
        ctx.fillRect(k * 2, r * 6, 2, 5);
      });
    }
  }
}
