// Progress on long runs: a live bar on a terminal, plain periodic lines otherwise (logs, CI). Both on stderr.
import cliProgress from 'cli-progress';
import { formatDuration } from './eta.js';

export interface ProgressInfo {
  loss: number;
  samplesPerSec: number;
  lr: number;
  /** Estimated seconds to completion, evaluations included (eta.ts); NaN while unknown. */
  etaSec: number;
  /** The run may stop before its last step (--target): the estimate is an upper bound, shown "at most". */
  etaIsBound?: boolean;
}

export interface ProgressReporter {
  start(total: number, done: number): void;
  update(done: number, info: ProgressInfo): void;
  /** A message that must not be overwritten by the bar (evaluations, checkpoints). */
  log(line: string): void;
  stop(): void;
}

export function createReporter(
  opts: { quiet?: boolean; stream?: NodeJS.WriteStream; intervalMs?: number } = {},
): ProgressReporter {
  if (opts.quiet) return silentReporter;
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? new BarReporter(stream) : new LineReporter(stream, opts.intervalMs ?? 10_000);
}

export const silentReporter: ProgressReporter = { start() {}, update() {}, log() {}, stop() {} };

const fmt = (info: ProgressInfo) => ({
  loss: info.loss.toPrecision(4),
  sps: info.samplesPerSec.toFixed(0),
  lr: info.lr.toExponential(1),
  eta:
    info.etaIsBound && Number.isFinite(info.etaSec)
      ? `at most ${formatDuration(info.etaSec)}`
      : formatDuration(info.etaSec),
});

class BarReporter implements ProgressReporter {
  private bar: cliProgress.SingleBar;
  constructor(private readonly stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'step {value}/{total} {bar} {percentage}% | loss {loss} | {sps} samples/s | lr {lr} | ETA {eta}',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }
  start(total: number, done: number) {
    this.bar.start(total, done, { loss: '-', sps: '-', lr: '-', eta: '-' });
  }
  update(done: number, info: ProgressInfo) {
    this.bar.update(done, fmt(info));
  }
  log(line: string) {
    // Clear the bar's line, print, and let the next update redraw the bar below.
    this.stream.clearLine(0);
    this.stream.cursorTo(0);
    this.stream.write(`${line}\n`);
  }
  stop() {
    this.bar.stop();
  }
}

class LineReporter implements ProgressReporter {
  private total = 0;
  private last = 0;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly intervalMs: number,
  ) {}
  start(total: number, _done: number) {
    this.total = total;
    this.last = Date.now();
  }
  update(done: number, info: ProgressInfo) {
    const now = Date.now();
    if (now - this.last < this.intervalMs && done < this.total) return;
    this.last = now;
    const f = fmt(info);
    this.stream.write(`step ${done}/${this.total} | loss ${f.loss} | ${f.sps} samples/s | lr ${f.lr} | ETA ${f.eta}\n`);
  }
  log(line: string) {
    this.stream.write(`${line}\n`);
  }
  stop() {}
}
