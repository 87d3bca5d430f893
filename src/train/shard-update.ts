// The optimiser half of a data-parallel step, split by parameter range across the shards' threads: the
// thread that owns a range sums the shards' gradients over it (in shard order) and runs Adam on it.
// Adam is elementwise and the sum's order is fixed, so the bits do not depend on the number of threads.
import { type AdamSegment, type AdamStep, adamUpdate, segmentsWithin } from '../nn/adam.js';

/** The shard number in a worker's replies to an optimiser-range request (not a shard: one per worker). */
export const ADAM_REPLY_SHARD = -2;

/**
 * Over [from, to): grads[0] += grads[1], += grads[2], ... (float32 after each add, as one shard after
 * the other), then Adam on the trainable segments within the range, updating w, m and v.
 */
export function updateShardRange(
  w: Float32Array,
  grads: readonly Float32Array[],
  m: Float32Array,
  v: Float32Array,
  segments: readonly AdamSegment[],
  step: AdamStep,
  from: number,
  to: number,
): void {
  const sum = grads[0];
  for (let s = 1; s < grads.length; s++) {
    const g = grads[s];
    for (let i = from; i < to; i++) sum[i] += g[i];
  }
  adamUpdate(w, sum, m, v, segmentsWithin(segments, from, to), step);
}
