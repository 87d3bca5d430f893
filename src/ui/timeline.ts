// The timeline strip: one row of predicted labels over the recording's frames, a row of the truth when
// the recording has labels, and a row of action events (start/end) when the model sends them, over an axis
// in seconds. Each stretch of one label is a coloured block with the label written in it as far as it fits,
// and every stretch is also listed as text (readable without colour, and by screen readers).
import { niceTicks } from '../util/nice-ticks.js';
import { type CanvasSize, trackCanvasSize } from './canvas-size.js';

/** Stretch [from, to) of frames with one label. */
interface Stretch {
  from: number;
  to: number;
  label: string;
}

/** CSS pixels: the row captions' column, a row, the gap between rows, the axis below. */
const CAPTION_WIDTH = 66;
const ROW = 22;
const GAP = 4;
const AXIS = 18;
const FONT = '12px system-ui, sans-serif';
const MUTED = '#4a5568';

const PALETTE = [
  '#3182ce',
  '#dd6b20',
  '#38a169',
  '#805ad5',
  '#d53f8c',
  '#319795',
  '#b7791f',
  '#e53e3e',
  '#4a5568',
  '#2c5282',
];

export function labelColour(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** `text` cut to fit `width` pixels with an ellipsis; '' when not even one letter and the ellipsis fit. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${text.slice(0, lo).trimEnd()}…`;
}

export class Timeline {
  private predicted: Stretch[] = [];
  private events: { frame: number; text: string }[] = [];
  private truth: Stretch[] = [];
  private length = 1;
  private fps = 30;
  private readonly ctx: CanvasRenderingContext2D;
  /** The canvas's size on the screen, CSS pixels. */
  private size: CanvasSize;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly list: HTMLOListElement,
    /** Colour index of a label (its index in the model's labels; -1 for labels the model does not have). */
    private colourOf: (label: string) => number,
  ) {
    this.ctx = canvas.getContext('2d')!;
    this.size = { width: canvas.width, height: canvas.height, ratio: 1 };
    trackCanvasSize(canvas, (size) => {
      this.size = size;
      this.draw();
    });
  }

  /** A new recording of `length` frames (null: live, grows) with its per-frame truth. */
  start(length: number, fps: number, truth: (string | null)[] | null, colourOf: (label: string) => number): void {
    this.colourOf = colourOf;
    this.length = Math.max(1, length);
    this.fps = fps;
    this.predicted = [];
    this.events = [];
    this.truth = [];
    if (truth) {
      for (let t = 0; t < truth.length; t++) {
        const l = truth[t];
        const lastStretch = this.truth[this.truth.length - 1];
        if (l === null) continue;
        if (lastStretch && lastStretch.label === l && lastStretch.to === t) lastStretch.to = t + 1;
        else this.truth.push({ from: t, to: t + 1, label: l });
      }
    }
    this.render();
  }

  /** The prediction for frame `frame` (it holds until the next one). */
  predict(frame: number, label: string): void {
    const last = this.predicted[this.predicted.length - 1];
    if (last) last.to = Math.max(last.to, frame);
    if (last && last.label === label) last.to = frame + 1;
    else this.predicted.push({ from: frame, to: frame + 1, label });
    if (frame >= this.length) this.length = frame + 1;
    this.render();
  }

  /** An action event (detection models). */
  event(frame: number, text: string): void {
    this.events.push({ frame, text });
    this.render();
  }

  /** The rows shown: predicted always, truth and events when there are some. */
  private rows(): number {
    return 1 + (this.truth.length ? 1 : 0) + (this.events.length ? 1 : 0);
  }

  /** x of frame f: the strip starts after the row captions. */
  private x(f: number): number {
    return CAPTION_WIDTH + (f / this.length) * (this.size.width - CAPTION_WIDTH - 8);
  }

  private colour(label: string): string {
    const c = this.colourOf(label);
    return c < 0 ? '#a0aec0' : labelColour(c);
  }

  private row(caption: string, stretches: Stretch[], y: number): void {
    const { ctx } = this;
    ctx.fillStyle = MUTED;
    ctx.fillText(caption, 2, y + ROW / 2 + 4);
    for (const s of stretches) {
      const x0 = this.x(s.from);
      const w = Math.max(1, this.x(s.to) - x0);
      ctx.fillStyle = this.colour(s.label);
      ctx.fillRect(x0, y, w, ROW);
      const text = fitText(ctx, s.label, w - 6);
      if (text) {
        ctx.fillStyle = '#fff';
        ctx.fillText(text, x0 + 3, y + ROW / 2 + 4);
      }
    }
  }

  /** Seconds along the bottom. */
  private axis(y: number): void {
    const { ctx } = this;
    const seconds = this.length / this.fps;
    const width = this.size.width - CAPTION_WIDTH - 8;
    const ticks = niceTicks(seconds, Math.max(2, Math.floor(width / 70)));
    ctx.fillStyle = MUTED;
    ctx.strokeStyle = '#a0aec0';
    ctx.beginPath();
    ctx.moveTo(CAPTION_WIDTH, y + 0.5);
    ctx.lineTo(CAPTION_WIDTH + width, y + 0.5);
    ctx.stroke();
    ctx.fillText('seconds', 2, y + 13);
    for (const t of ticks) {
      if (t > seconds + 1e-9) break;
      const x = Math.round(this.x(t * this.fps)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x, y + 4);
      ctx.stroke();
      const label = String(t);
      const w = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(x - w / 2, CAPTION_WIDTH + width - w), y + 15);
    }
  }

  private draw(): void {
    const { ctx } = this;
    const { width, height } = this.size;
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    let y = 2;
    this.row('predicted', this.predicted, y);
    y += ROW + GAP;
    if (this.truth.length) {
      this.row('truth', this.truth, y);
      y += ROW + GAP;
    }
    if (this.events.length) {
      ctx.fillStyle = MUTED;
      ctx.fillText('events', 2, y + ROW / 2 + 4);
      ctx.fillStyle = '#1a202c';
      for (const e of this.events) ctx.fillRect(this.x(e.frame), y, 2, ROW);
      y += ROW + GAP;
    }
    this.axis(y);
  }

  private render(): void {
    // The canvas is as tall as its rows: a changed height redraws through the size tracker.
    const height = `${2 + this.rows() * (ROW + GAP) + AXIS}px`;
    if (this.canvas.style.height !== height) this.canvas.style.height = height;
    this.draw();
    const items: [string, string][] = [];
    const secs = (f: number) => (f / this.fps).toFixed(1);
    for (const s of this.predicted) items.push([s.label, `${secs(s.from)}–${secs(s.to)} s predicted: ${s.label}`]);
    for (const s of this.truth) items.push([s.label, `${secs(s.from)}–${secs(s.to)} s truth: ${s.label}`]);
    for (const e of this.events) items.push(['', `${secs(e.frame)} s event: ${e.text}`]);
    this.list.replaceChildren(
      ...items.map(([label, text]) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.setProperty('--c', label ? this.colour(label) : '#1a202c');
        li.append(swatch, text);
        return li;
      }),
    );
  }
}
