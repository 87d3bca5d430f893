// Epoch bookkeeping for tasks with a finite training set: the shuffle of epoch e is a pure function of
// (seed, e), so the batch of any step can be recomputed after a resume.
import { Rng } from '../util/rng.js';

const SHUFFLE_STREAM = 1;

export class EpochOrder {
  private cached: { epoch: number; order: Int32Array } | null = null;

  constructor(
    readonly count: number,
    private readonly seed: number,
  ) {}

  /** Full batches per epoch (the last partial batch is dropped). */
  stepsPerEpoch(batchSize: number): number {
    return Math.max(1, Math.floor(this.count / batchSize));
  }

  /** Sample indices of the training batch at `step`. */
  batchIndices(step: number, batchSize: number): Int32Array {
    const perEpoch = this.stepsPerEpoch(batchSize);
    const epoch = Math.floor(step / perEpoch);
    if (this.cached?.epoch !== epoch)
      this.cached = { epoch, order: new Rng(this.seed, SHUFFLE_STREAM, epoch).permutation(this.count) };
    const start = (step % perEpoch) * batchSize;
    return this.cached.order.subarray(start, Math.min(start + batchSize, this.count));
  }
}

/** Consecutive index ranges [start, end) covering 0..count-1, for evaluation batches. */
export function* indexBatches(count: number, batchSize: number): Iterable<Int32Array> {
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    yield Int32Array.from({ length: end - start }, (_, k) => start + k);
  }
}
