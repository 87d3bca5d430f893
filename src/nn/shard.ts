// Data-parallel training across threads: the batch is cut into a fixed number of shards, one network
// replica per shard. Replicas may live in other threads (worker_threads), so everything they share is
// in SharedArrayBuffers. onnxruntime-node refuses SharedArrayBuffer-backed tensors, so the large
// activations never cross threads: each replica keeps its own, and only small things are shared here:
// per-channel batch-norm sums (summed over shards in shard order, so the result does not depend on
// which thread ran which shard) and a barrier.
import type { Backend, ChannelSums, GemmOptions } from './backend.js';

const ARRIVED = 0;
const GENERATION = 1;
const FAILED = 2;
const WAIT_SLICE_MS = 500;

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
// Atomics.waitAsync (Node >= 16) is missing from the ES2022 library typings.
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface ShardSyncBuffers {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  shards: number;
  width: number;
}

/** Thrown by a shard released from a barrier because another shard failed: a consequence, not the cause. */
export class ShardPeerFailed extends Error {
  constructor() {
    super('another training shard failed');
  }
}

/** Rows [start, end) of a batch of B sequences that shard s of S trains on. */
export function shardRows(B: number, S: number, s: number): [number, number] {
  return [Math.floor((s * B) / S), Math.floor(((s + 1) * B) / S)];
}

/** Barrier and all-reduce of per-channel sums among the S shards of one step, in any mix of threads. */
export class ShardSync {
  readonly shards: number;
  /** Largest channel count an all-reduce may carry. */
  readonly width: number;
  private readonly control: Int32Array; // [arrived, generation, failed]
  private readonly slots: Float64Array; // [S][2 * width + 1]: a, b, count

  constructor(buffers: ShardSyncBuffers) {
    this.shards = buffers.shards;
    this.width = buffers.width;
    this.control = new Int32Array(buffers.control);
    this.slots = new Float64Array(buffers.slots);
  }

  static create(shards: number, width: number): ShardSync {
    return new ShardSync({
      control: new SharedArrayBuffer(3 * 4),
      slots: new SharedArrayBuffer(shards * (2 * width + 1) * 8),
      shards,
      width,
    });
  }

  get buffers(): ShardSyncBuffers {
    return {
      control: this.control.buffer as SharedArrayBuffer,
      slots: this.slots.buffer as SharedArrayBuffer,
      shards: this.shards,
      width: this.width,
    };
  }

  /** Marks the step failed: every shard waiting at the barrier, now or later, throws instead of hanging. */
  fail(): void {
    Atomics.store(this.control, FAILED, 1);
    Atomics.notify(this.control, GENERATION);
  }

  get failed(): boolean {
    return Atomics.load(this.control, FAILED) !== 0;
  }

  /** Time this thread's shards spent waiting at barriers for the others (ms, for benchmarks). */
  waitedMs = 0;

  private async barrier(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.meet();
    } finally {
      this.waitedMs += performance.now() - t0;
    }
  }

  private async meet(): Promise<void> {
    const c = this.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.shards - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    while (Atomics.load(c, GENERATION) === generation) {
      if (this.failed) throw new ShardPeerFailed();
      const r = waitAsync(c, GENERATION, generation, WAIT_SLICE_MS);
      if (r.async) await r.value;
    }
  }

  /** Σ over shards of (a, b, count), added in shard order 0..S-1 in float64: every shard gets the same totals. */
  async allReduce(shard: number, sums: ChannelSums): Promise<ChannelSums> {
    const C = sums.a.length;
    if (C > this.width) throw new RangeError(`all-reduce of ${C} channels, the shards were set up for ${this.width}`);
    const stride = 2 * this.width + 1;
    const mine = shard * stride;
    this.slots.set(sums.a, mine);
    this.slots.set(sums.b, mine + this.width);
    this.slots[mine + 2 * this.width] = sums.count;
    await this.barrier();
    const a = new Float64Array(C);
    const b = new Float64Array(C);
    let count = 0;
    for (let s = 0; s < this.shards; s++) {
      const o = s * stride;
      for (let k = 0; k < C; k++) {
        a[k] += this.slots[o + k];
        b[k] += this.slots[o + this.width + k];
      }
      count += this.slots[o + 2 * this.width];
    }
    await this.barrier(); // nobody writes the next sums before everyone has read these
    return { a, b, count, secondary: shard !== 0 };
  }
}

/**
 * The backend of one shard's replica. While a data-parallel step runs (`join`), products go to the
 * shard's backend (one onnxruntime thread) and batch-norm sums are summed over all shards; otherwise
 * (evaluation, calibration of the master network) everything goes to the idle backend unchanged.
 */
export class ShardBackend implements Backend {
  readonly name: string;
  private sharded: { sync: ShardSync; shard: number } | null = null;

  constructor(
    private readonly train: Backend,
    private readonly idle: Backend = train,
  ) {
    this.name = `sharded(${train.name})`;
  }

  /** From now on, calls belong to shard `shard` of a step synchronised by `sync`; null: back to idle. */
  join(sharded: { sync: ShardSync; shard: number } | null): void {
    this.sharded = sharded;
  }

  private get inner(): Backend {
    return this.sharded ? this.train : this.idle;
  }

  get stats() {
    return this.train.stats;
  }

  resetStats(): void {
    this.train.resetStats();
    if (this.idle !== this.train) this.idle.resetStats();
  }

  gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts?: GemmOptions) {
    return this.inner.gemm(a, b, M, K, N, opts);
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array) {
    return this.inner.add(out, a, b);
  }

  async channelMoments(x: Float32Array, rows: number, C: number): Promise<ChannelSums> {
    const sharded = this.sharded;
    const local = await this.inner.channelMoments(x, rows, C);
    return sharded ? sharded.sync.allReduce(sharded.shard, local) : local;
  }

  async maskedSums(dy: Float32Array, mask: Float32Array, h: Float32Array, T: number, B: number, C: number) {
    const sharded = this.sharded;
    const local = await this.inner.maskedSums(dy, mask, h, T, B, C);
    return sharded ? sharded.sync.allReduce(sharded.shard, local) : local;
  }

  async release(): Promise<void> {
    await this.train.release();
    if (this.idle !== this.train) await this.idle.release();
  }
}
