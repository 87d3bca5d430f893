// Training progress (src/util/progress.ts's style): a live bar on a terminal, plain periodic lines
// otherwise (logs, CI), both on stderr, with the loss, the speed, the learning rate and the time left.
import { Progress } from '../util/progress.js';

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
  const progress = new Progress({ label: 'train', unit: 'steps', rate: false, ...opts });
  return {
    start: (total, done) => progress.start(total, done),
    update: (done, info) =>
      progress.update(done, {
        fields: [
          `loss ${info.loss.toPrecision(4)}`,
          `${info.samplesPerSec.toFixed(0)} samples/s`,
          `lr ${info.lr.toExponential(1)}`,
        ],
        etaSec: info.etaSec,
        etaIsBound: info.etaIsBound,
      }),
    log: (line) => progress.log(line),
    stop: () => progress.stop(),
  };
}

export const silentReporter: ProgressReporter = { start() {}, update() {}, log() {}, stop() {} };
