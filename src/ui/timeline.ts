// The timeline strip: one row of predicted labels over the recording's frames, a row of the truth when
// the recording has labels, and a row of action events (start/end) when the model sends them. Each
// stretch of one label is a coloured block with the label's initials when it is wide enough, and every
// stretch is also listed as text (readable without colour, and by screen readers).

/** Stretch [from, to) of frames with one label. */
interface Stretch {
  from: number;
  to: number;
  label: string;
}

/** Pixels left of the strip for the row captions. */
const CAPTION_WIDTH = 70;

const PALETTE = [
  '#3182ce',
  '#dd6b20',
  '#38a169',
  '#805ad5',
  '#d53f8c',
  '#319795',
  '#d69e2e',
  '#e53e3e',
  '#4a5568',
  '#2c5282',
];

export function labelColour(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

function initials(label: string): string {
  return label
    .split(/[\s/()-]+/)
    .filter((w) => w.length > 0)
    .slice(0, 3)
    .map((w) => w[0].toUpperCase())
    .join('');
}

export class Timeline {
  private predicted: Stretch[] = [];
  private events: { frame: number; text: string }[] = [];
  private truth: Stretch[] = [];
  private length = 1;
  private fps = 30;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly list: HTMLOListElement,
    /** Colour index of a label (its index in the model's labels; -1 for labels the model does not have). */
    private colourOf: (label: string) => number,
  ) {
    this.ctx = canvas.getContext('2d')!;
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

  /** x of frame f: the strip starts after the row captions. */
  private x(f: number): number {
    return CAPTION_WIDTH + (f / this.length) * (this.canvas.width - CAPTION_WIDTH);
  }

  private row(caption: string, stretches: Stretch[], y: number, h: number): void {
    const { ctx } = this;
    const x = (f: number) => this.x(f);
    ctx.fillStyle = '#4a5568';
    ctx.fillText(caption, 2, y + h / 2 + 4);
    for (const s of stretches) {
      const x0 = x(s.from);
      const w = Math.max(1, x(s.to) - x0);
      const c = this.colourOf(s.label);
      ctx.fillStyle = c < 0 ? '#a0aec0' : labelColour(c);
      ctx.fillRect(x0, y, w, h);
      const text = initials(s.label);
      if (w > ctx.measureText(text).width + 6) {
        ctx.fillStyle = '#fff';
        ctx.fillText(text, x0 + 3, y + h / 2 + 4);
      }
    }
  }

  private render(): void {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = '12px system-ui, sans-serif';
    this.row('predicted', this.predicted, 2, 24);
    if (this.truth.length) this.row('truth', this.truth, 30, 24);
    if (this.events.length) {
      ctx.fillStyle = '#4a5568';
      ctx.fillText('events', 2, 74);
      ctx.fillStyle = '#1a202c';
      for (const e of this.events) ctx.fillRect(this.x(e.frame), 58, 2, 24);
    }
    const items: string[] = [];
    const secs = (f: number) => (f / this.fps).toFixed(1);
    for (const s of this.predicted) items.push(`${secs(s.from)}–${secs(s.to)} s predicted: ${s.label}`);
    for (const s of this.truth) items.push(`${secs(s.from)}–${secs(s.to)} s truth: ${s.label}`);
    for (const e of this.events) items.push(`${secs(e.frame)} s event: ${e.text}`);
    this.list.replaceChildren(
      ...items.map((t) => {
        const li = document.createElement('li');
        li.textContent = t;
        return li;
      }),
    );
  }
}
