// One progress style for every long command (train, data build, data synth), on stderr: a bar redrawn in
// place on a terminal, the same text as a plain line every `intervalMs` otherwise (logs, CI), units
// everywhere:
//   train [######--------------]  600/2000 steps  30 % | loss 1.234 | 512 samples/s | 2 min 31 s left
//   synth [####################]  64/64 files  100 % | 12.3 files/s | 0.0 s left
import { formatDuration } from './duration.js';

export interface ProgressOptions {
  /** What is being done: 'train', 'build', 'synth'. */
  label: string;
  /** What `done` counts: 'steps', 'files'. */
  unit: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Without a terminal: the least time between two lines (the last one is always written). */
  intervalMs?: number;
  /** Nothing at all. */
  quiet?: boolean;
  /** Show the rate, `unit`/s (default true; train shows samples/s among its fields instead). */
  rate?: boolean;
}

export interface ProgressFields {
  /** Extra fields after the count: 'loss 1.234'. */
  fields?: string[];
  /** Seconds left when the caller knows better than the rate so far (NaN: not yet known). */
  etaSec?: number;
  /** The estimate is an upper bound: "at most 2 min 31 s left". */
  etaIsBound?: boolean;
}

const BAR_WIDTH = 20;
/** The least time between two redraws of the bar on a terminal. */
const REDRAW_MS = 100;

export class Progress {
  private total = 0;
  private started = 0;
  private startDone = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;
  /** The bar is on screen (a terminal): log lines clear it first and it is drawn again after them. */
  private shown = '';
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
  }

  /** The work begins: `total` in all, `done` of them done already (a resumed run). */
  start(total: number, done = 0): void {
    this.total = total;
    this.startDone = done;
    this.started = performance.now();
    this.lastWrite = this.tty ? Number.NEGATIVE_INFINITY : this.started;
  }

  /** A builder's onProgress(done, of): starts again when `of` changes (a builder that counts in stages). */
  readonly onProgress = (done: number, of: number): void => {
    if (this.started === 0 || of !== this.total) this.start(of);
    this.update(done);
  };

  update(done: number, more: ProgressFields = {}): void {
    if (this.opts.quiet || this.started === 0) return;
    const now = performance.now();
    const last = done >= this.total;
    if (!last && now - this.lastWrite < (this.tty ? REDRAW_MS : (this.opts.intervalMs ?? 10_000))) return;
    this.lastWrite = now;
    const text = this.text(done, now, more);
    if (this.tty) this.draw(text);
    else this.stream.write(`${text}\n`);
  }

  /** A line that stays (evaluations, warnings): above the bar on a terminal. */
  log(line: string): void {
    if (this.opts.quiet) return;
    if (!this.tty || !this.shown) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r\x1b[K${line}\n`);
    this.stream.write(this.shown);
  }

  /** The bar, if shown, stays as it was last drawn; what follows starts on a line of its own. */
  stop(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = '';
  }

  /** `label [bar] done/total unit  pct % | fields | rate | eta left`. */
  text(done: number, now: number, more: ProgressFields): string {
    const total = Math.max(this.total, 1);
    const fraction = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const count = `${String(done).padStart(String(this.total).length)}/${this.total} ${this.opts.unit}`;
    const parts = [`${this.opts.label} ${bar} ${count}  ${Math.floor(fraction * 100)} %`, ...(more.fields ?? [])];
    const seconds = (now - this.started) / 1000;
    const rate = (done - this.startDone) / seconds;
    if (this.opts.rate !== false && seconds > 0 && rate > 0)
      parts.push(`${rate < 100 ? rate.toPrecision(3) : rate.toFixed(0)} ${this.opts.unit}/s`);
    const eta = more.etaSec ?? (rate > 0 ? (this.total - done) / rate : Number.NaN);
    const left = Number.isFinite(eta)
      ? `${more.etaIsBound ? 'at most ' : ''}${formatDuration(eta)} left`
      : 'estimating the time left';
    parts.push(done >= this.total ? `${formatDuration(seconds)} in all` : left);
    return parts.join(' | ');
  }

  private draw(text: string): void {
    const width = this.stream.columns ?? 0;
    const line = width > 1 && text.length >= width ? `${text.slice(0, width - 2)}…` : text;
    this.shown = `\r${line}\x1b[K`;
    this.stream.write(this.shown);
  }
}
