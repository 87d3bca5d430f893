// One shard of a data-parallel training step: a network replica that runs forward and backward on its
// rows of the batch, with batch-norm sums summed over all shards (ShardSync). The same code runs in
// the main thread and in worker threads (shard-worker.ts).
import type { Network } from '../nn/network.js';
import { type Seq, seq } from '../nn/seq.js';
import type { ShardBackend, ShardSync } from '../nn/shard.js';
import { Rng } from '../util/rng.js';

/** [T, B, C] rows from..to-1 of every step -> dst [T, to-from, C]. */
export function gatherRows(
  dst: Float32Array,
  src: Float32Array,
  T: number,
  B: number,
  C: number,
  from: number,
  to: number,
) {
  const n = (to - from) * C;
  for (let t = 0; t < T; t++) dst.set(src.subarray((t * B + from) * C, (t * B + from) * C + n), t * n);
}

/** src [T, to-from, C] -> rows from..to-1 of every step of dst [T, B, C]. */
export function scatterRows(
  dst: Float32Array,
  src: Float32Array,
  T: number,
  B: number,
  C: number,
  from: number,
  to: number,
) {
  const n = (to - from) * C;
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * n, (t + 1) * n), (t * B + from) * C);
}

export interface ShardStep {
  /** Dropout stream keys: new Rng(...rngKeys), the same for every shard. */
  rngKeys: readonly number[];
  /** This shard's rows of the whole batch. */
  offset: number;
  total: number;
}

export class Replica {
  constructor(
    readonly net: Network,
    private readonly backend: ShardBackend,
    readonly shard: number,
  ) {}

  private async joined<T>(sync: ShardSync, f: () => Promise<T>): Promise<T> {
    this.backend.join({ sync, shard: this.shard });
    try {
      return await f();
    } catch (e) {
      sync.fail(); // the other shards would wait for this one at the next barrier
      throw e;
    } finally {
      this.backend.join(null);
    }
  }

  /** Training forward of this shard's rows x[T, Bs, I]; the logits are the network's (a fresh array). */
  forward(x: Seq, step: ShardStep, sync: ShardSync): Promise<Seq> {
    const rng = new Rng(step.rngKeys[0], ...step.rngKeys.slice(1));
    return this.joined(sync, () =>
      this.net.forward(x, { training: true, rng, shard: { offset: step.offset, total: step.total } }),
    );
  }

  /** Backward from dL/dlogits of this shard's rows; leaves this shard's gradients in net.store.grad. */
  backward(dLogits: Float32Array, T: number, B: number, C: number, sync: ShardSync): Promise<void> {
    return this.joined(sync, async () => {
      this.net.store.zeroGrad();
      await this.net.backward(seq(dLogits, T, B, C));
    });
  }
}
