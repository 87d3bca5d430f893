// Data-parallel training steps on several cores. The batch is cut into S shards (a setting of the run,
// recorded in its checkpoint); each shard's replica runs forward and backward on its rows, with
// batch-norm statistics summed over all shards, so the maths is that of the whole batch. Shards are
// placed on `threads` threads (shard s on thread s mod threads; thread 0 is this one, with the master
// network as shard 0), each with one onnxruntime thread, so products and the JavaScript elementwise
// passes of a shard share one core and never compete. Every sum across shards is taken in shard order,
// so the weights after a step do not depend on the number of threads: 1 and 2 threads give the same
// bits (test/train-threads.test.ts). The optimiser step is split too: each thread sums the shards'
// gradients and runs Adam over its own range of the parameters (shard-update.ts), on shared memory.
import { Worker } from 'node:worker_threads';
import { type Adam, adamSegments, segmentsWithin } from '../nn/adam.js';
import type { Backend } from '../nn/backend.js';
import { Network } from '../nn/network.js';
import { type Seq, seq } from '../nn/seq.js';
import { ShardBackend, ShardPeerFailed, ShardSync, shardRows } from '../nn/shard.js';
import { gatherRows, Replica, type ShardStep, scatterRows } from './replica.js';
import { ADAM_REPLY_SHARD, updateShardRange } from './shard-update.js';
import type { ShardReply, ShardRequest, ShardWorkerData } from './shard-worker.js';

interface Placed {
  shard: number;
  /** A replica in this thread, or the worker hosting the shard. */
  local?: Replica;
  worker?: ShardWorkerHandle;
  /** Local shards other than the master's: their rows of the input, reused from step to step. */
  xLocal?: Float32Array;
  /** Local shards: their rows of dL/dlogits, reused from step to step. */
  dLocal?: Float32Array;
  /** Worker shards: shared input/output buffers, grown as needed. */
  x: SharedArrayBuffer;
  logits: SharedArrayBuffer;
}

/** The error of a failed shard, naming it (a shard released because another failed stays a ShardPeerFailed). */
function shardError(shards: string, cause: unknown): Error {
  if (cause instanceof ShardPeerFailed) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(`training shard ${shards}: ${message}`, { cause });
}

/**
 * Waits for every shard of a step (so none is still running when the caller moves on), then throws the
 * failure that caused the others: a shard's own error, not a "another shard failed" it released.
 */
async function allShards(steps: Promise<unknown>[]): Promise<void> {
  const errors: unknown[] = [];
  for (const r of await Promise.allSettled(steps)) if (r.status === 'rejected') errors.push(r.reason);
  if (errors.length > 0) throw errors.find((e) => !(e instanceof ShardPeerFailed)) ?? errors[0];
}

function sharedFloats(n: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, n) * 4);
}

/** The key of a request and its reply: its shard, or -1 (close) or the optimiser range's: one of each at a time. */
function requestKey(msg: ShardRequest | ShardReply): number {
  if (msg.kind === 'close' || msg.kind === 'closed') return -1;
  if (msg.kind === 'adam') return ADAM_REPLY_SHARD;
  return msg.shard;
}

/** A worker thread and its pending requests (one per shard at a time). */
class ShardWorkerHandle {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ShardReply) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(data: ShardWorkerData, onFailure: () => void) {
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (reply: ShardReply) => {
      const key = requestKey(reply);
      const p = this.pending.get(key);
      this.pending.delete(key);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.kind !== 'error') p?.resolve(reply);
      else if (reply.peer) p?.reject(new ShardPeerFailed());
      else {
        const e = shardError(key === ADAM_REPLY_SHARD ? 'optimiser range' : String(key), new Error(reply.message));
        if (reply.stack) e.stack = `${e.message}\n(in the worker thread) ${reply.stack}`;
        p?.reject(e);
      }
    });
    const fail = (e: Error) => {
      this.failure = e;
      onFailure();
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    const shards = data.shards.map((e) => e.shard).join(', ');
    this.worker.on('error', (e) => fail(shardError(shards, new Error(`its worker thread failed: ${e.message}`))));
    this.worker.on('exit', (code) => {
      if (!this.closing) fail(shardError(shards, new Error(`its worker thread exited (code ${code})`)));
    });
    // Idle, the thread must not keep the process alive (after the listeners, which would ref it again);
    // while a request is pending it must, or the process could exit awaiting the reply.
    this.worker.unref();
  }

  private closing = false;

  request(msg: ShardRequest): Promise<ShardReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(requestKey(msg), { resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.failure) await this.request({ kind: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

export interface DataParallelOptions {
  shards: number;
  threads: number;
  /** The master network's products during steps: one onnxruntime thread. */
  trainBackend: Backend;
}

export class DataParallel {
  readonly shards: number;
  readonly threads: number;
  /** One per number of shards in use (a batch smaller than `shards` uses fewer). */
  private readonly syncs = new Map<number, ShardSync>();
  private readonly placed: Placed[] = [];
  private readonly workers: ShardWorkerHandle[] = [];
  /** Threads > 1: the master's weights, shared, copied in at each step (onnxruntime refuses shared memory). */
  private readonly weights: Float32Array | null;
  /** Every shard's gradient (shared memory when threads > 1); grads[0] is the master's store.grad. */
  private readonly grads: Float32Array[] = [];

  constructor(
    private readonly master: Network,
    masterBackend: ShardBackend,
    opts: DataParallelOptions,
  ) {
    if (!Number.isInteger(opts.shards) || opts.shards < 1)
      throw new RangeError(`shards must be >= 1, got ${opts.shards}`);
    this.shards = opts.shards;
    this.threads = Math.max(1, Math.min(opts.threads, opts.shards));
    const config = master.config;
    const P = this.threads;
    const n = master.store.data.length;
    this.weights = P > 1 ? new Float32Array(sharedFloats(n)) : null;
    for (let s = 0; s < this.shards; s++) {
      const entry: Placed = { shard: s, x: sharedFloats(0), logits: sharedFloats(0) };
      const grad = P > 1 ? new Float32Array(sharedFloats(n)) : null;
      if (s % P === 0) {
        const backend = s === 0 ? masterBackend : new ShardBackend(opts.trainBackend);
        entry.local = new Replica(s === 0 ? master : new Network(config, backend), backend, s);
        if (grad) entry.local.net.store.useGrad(grad);
        this.grads.push(entry.local.net.store.grad);
      } else this.grads.push(grad!);
      this.placed.push(entry);
    }
    for (let p = 1; p < P; p++) {
      const hosted = this.placed.filter((e) => e.shard % P === p);
      const worker = new ShardWorkerHandle(
        {
          config,
          segments: adamSegments(master.store),
          weights: this.weights!.buffer as SharedArrayBuffer,
          shards: hosted.map((e) => ({ shard: e.shard, grad: this.grads[e.shard].buffer as SharedArrayBuffer })),
        },
        () => {
          for (const sync of this.syncs.values()) sync.fail();
        },
      );
      for (const e of hosted) e.worker = worker;
      this.workers.push(worker);
    }
  }

  private sync(S: number): ShardSync {
    let sync = this.syncs.get(S);
    if (!sync) {
      sync = ShardSync.create(S, this.master.config.hiddenSize);
      this.syncs.set(S, sync);
    }
    if (sync.failed) throw new Error('an earlier training step failed in another shard');
    return sync;
  }

  /** Whether the optimiser's state must be shared memory (Adam's `shared`): more than one thread. */
  get sharesOptimiser(): boolean {
    return this.threads > 1;
  }

  /**
   * One training step over the whole batch x[T, B, I]: forward and backward, then Adam. lossOf turns the
   * whole batch's logits into the loss and its gradient, as an unsharded step would. On return
   * master.store.grad holds the gradient of the whole batch (shard 0's + shard 1's + ..., in that
   * order) and the master's weights are updated.
   */
  async trainStep<R extends { grad: Float32Array }>(
    x: Seq,
    rngKeys: readonly number[],
    lossOf: (logits: Seq) => R,
    adam: Adam,
  ): Promise<R> {
    const { T, B, C: I } = x;
    const S = Math.min(this.shards, B); // a shard needs at least one sequence
    const sync = this.sync(S);
    if (this.weights) this.weights.set(this.master.store.data);
    const K = this.master.config.numOutputs;
    const outT = this.master.config.readout === 'last' ? 1 : T;
    const logits = new Float32Array(outT * B * K);
    const active = this.placed.slice(0, S);
    await allShards(
      active.map(async (e) => {
        const [from, to] = shardRows(B, S, e.shard);
        const step: ShardStep = { rngKeys, offset: from, total: B };
        const Bs = to - from;
        if (e.local) {
          const net = e.local.net;
          if (net !== this.master) net.store.data.set(this.master.store.data);
          if (e.xLocal?.length !== T * Bs * I) e.xLocal = new Float32Array(T * Bs * I);
          const xs = e.xLocal;
          gatherRows(xs, x.data, T, B, I, from, to);
          const out = await e.local.forward(seq(xs, T, Bs, I), step, sync).catch((err: unknown) => {
            throw shardError(String(e.shard), err);
          });
          scatterRows(logits, out.data, outT, B, K, from, to);
          return;
        }
        if (e.x.byteLength < T * Bs * I * 4) e.x = sharedFloats(T * Bs * I);
        if (e.logits.byteLength < outT * Bs * K * 4) e.logits = sharedFloats(outT * Bs * K);
        gatherRows(new Float32Array(e.x, 0, T * Bs * I), x.data, T, B, I, from, to);
        const { x: xBuf, logits: out } = e;
        await e.worker!.request({
          kind: 'forward',
          shard: e.shard,
          sync: sync.buffers,
          step,
          x: xBuf,
          T,
          B: Bs,
          logits: out,
        });
        scatterRows(logits, new Float32Array(out, 0, outT * Bs * K), outT, B, K, from, to);
      }),
    );
    const result = lossOf(seq(logits, outT, B, K));
    await allShards(
      active.map(async (e) => {
        const [from, to] = shardRows(B, S, e.shard);
        const Bs = to - from;
        const n = outT * Bs * K;
        if (e.local) {
          if (e.dLocal?.length !== n) e.dLocal = new Float32Array(n);
          gatherRows(e.dLocal, result.grad, outT, B, K, from, to);
          return e.local.backward(e.dLocal, outT, Bs, K, sync).catch((err: unknown) => {
            throw shardError(String(e.shard), err);
          });
        }
        // Worker shards: straight into the buffer they read (it held this shard's logits, as large).
        gatherRows(new Float32Array(e.logits, 0, n), result.grad, outT, B, K, from, to);
        const { shard, logits: buffer } = e;
        await e.worker!.request({ kind: 'backward', shard, sync: sync.buffers, logits: buffer, T: outT, B: Bs, C: K });
      }),
    );
    const t0 = performance.now();
    await this.optimise(adam, S);
    this.optimiserMs += performance.now() - t0;
    return result;
  }

  /** Sums the S active shards' gradients and runs Adam, each thread over its range of the parameters. */
  private async optimise(adam: Adam, S: number): Promise<void> {
    const P = this.threads;
    if (P > 1 && !(adam.m.buffer instanceof SharedArrayBuffer))
      throw new Error(
        'data-parallel training on several threads needs the optimiser state shared (new Adam(.., true))',
      );
    const step = adam.begin();
    const store = this.master.store;
    const n = store.data.length;
    const grads = this.grads.slice(0, S);
    const remote = this.workers.map((worker, i) => {
      const [from, to] = shardRows(n, P, i + 1);
      return worker.request({
        kind: 'adam',
        step,
        from,
        to,
        grads: grads.map((g) => g.buffer as SharedArrayBuffer),
        m: adam.m.buffer as SharedArrayBuffer,
        v: adam.v.buffer as SharedArrayBuffer,
      });
    });
    // This thread's range while the workers run theirs (the requests are already posted).
    const [from, to] = shardRows(n, P, 0);
    try {
      updateShardRange(store.data, grads, adam.m, adam.v, adam.segments, step, from, to);
    } finally {
      await allShards(remote);
    }
    // The workers updated the shared copy of the weights; take their ranges back (trainable values only:
    // the master's forward has just updated its BN running statistics, which the copy does not have).
    for (let p = 1; p < P; p++) {
      const [lo, hi] = shardRows(n, P, p);
      for (const seg of segmentsWithin(adam.segments, lo, hi))
        store.data.set(this.weights!.subarray(seg.from, seg.to), seg.from);
    }
  }

  /** Time this thread spent in the optimiser step (its range and waiting for the workers', ms; benchmarks). */
  private optimiserMs = 0;

  /**
   * Since the last call (ms): this thread's shards waiting at BN barriers for the others, and the
   * optimiser step (gradient sums and Adam: this thread's range and the wait for the others').
   */
  takeTimings(): { waitedMs: number; optimiserMs: number } {
    let waitedMs = 0;
    for (const sync of this.syncs.values()) {
      waitedMs += sync.waitedMs;
      sync.waitedMs = 0;
    }
    const optimiserMs = this.optimiserMs;
    this.optimiserMs = 0;
    return { waitedMs, optimiserMs };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
