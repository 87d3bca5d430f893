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

/**
 * Tests only: INDRNN_TEST_SHARD_FAULT=kind:shard:call makes shard `shard` fail on its `call`-th forward
 * (1-based), inside the step, while the other shards run or wait at a barrier. kind: throw (an exception
 * in the step), crash (an uncaught exception that kills the thread, as an out-of-memory would), exit
 * (the thread exits with code 3). Read once when the module loads; unset (production) it does nothing.
 */
const injected = parseFault(process.env.INDRNN_TEST_SHARD_FAULT);
function parseFault(spec: string | undefined): { kind: string; shard: number; call: number } | null {
  const m = spec ? /^(throw|crash|exit):(\d+):(\d+)$/.exec(spec) : null;
  return m ? { kind: m[1], shard: Number(m[2]), call: Number(m[3]) } : null;
}

export class Replica {
  private forwards = 0;

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
    this.forwards++;
    return this.joined(sync, () => {
      return (
        this.injectFault() ??
        this.net.forward(x, { training: true, rng, shard: { offset: step.offset, total: step.total } })
      );
    });
  }

  /** A test's fault (see INDRNN_TEST_SHARD_FAULT): throws, exits, or returns a step that never ends. */
  private injectFault(): Promise<never> | undefined {
    if (!injected || injected.shard !== this.shard || injected.call !== this.forwards) return undefined;
    if (injected.kind === 'exit') process.exit(3);
    if (injected.kind === 'crash') {
      setImmediate(() => {
        throw new Error(`injected crash in shard ${this.shard}`);
      });
      return new Promise<never>(() => undefined);
    }
    throw new Error(`injected fault in shard ${this.shard}`);
  }

  /** Backward from dL/dlogits of this shard's rows; leaves this shard's gradients in net.store.grad. */
  backward(dLogits: Float32Array, T: number, B: number, C: number, sync: ShardSync): Promise<void> {
    return this.joined(sync, async () => {
      this.net.store.zeroGrad();
      await this.net.backward(seq(dLogits, T, B, C));
    });
  }
}
