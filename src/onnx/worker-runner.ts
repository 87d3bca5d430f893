// A model's session in a worker thread (src/onnx/session-worker.ts): this thread only copies a run's inputs
// into buffers it owns, sends them, and copies the outputs out of the buffers that come back, so it reads
// and answers requests while the model runs. One run at a time per worker: runs asked for while one is in
// flight wait here in order (the batcher's single run slot, the default, never asks for two). A worker that
// dies (an uncaught error, an exit) fails its run in flight and is started again from the same bytes: the
// runs waiting go to the new one, so one lost thread does not leave the model failing every request.
import { Worker } from 'node:worker_threads';
import type { RunResult, RunShape, SessionRunner } from './runner.js';
import type { Provider } from './session.js';
import type { FromWorker, RunBuffers, ToWorker, WorkerInit } from './worker-protocol.js';

interface PendingRun {
  shape: RunShape;
  x: Float32Array;
  h0: Float32Array | undefined;
  out: RunResult | undefined;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

const WORKER_URL = new URL('./session-worker.js', import.meta.url);

/** A buffer of at least n float32 values: the one given when large enough, else a new one. */
function atLeast(buffer: ArrayBuffer, n: number): ArrayBuffer {
  return buffer.byteLength >= n * 4 ? buffer : new ArrayBuffer(n * 4);
}

/** Empty run buffers (they grow to the largest run). */
const noBuffers = (): RunBuffers => ({
  x: new ArrayBuffer(0),
  h0: new ArrayBuffer(0),
  logits: new ArrayBuffer(0),
  hT: new ArrayBuffer(0),
});

export class WorkerRunner implements SessionRunner {
  private buffers: RunBuffers | null = noBuffers();
  private readonly waiting: PendingRun[] = [];
  private inFlight: PendingRun | null = null;
  /** Why the worker cannot run any more (released, or it could not be started again); later runs are rejected with it. */
  private dead: Error | null = null;
  private onReleased: (() => void) | null = null;
  /** The live worker; null while a dead one's replacement starts. */
  private worker: Worker | null = null;
  private restarting: Promise<void> | null = null;

  private constructor(
    worker: Worker,
    readonly provider: Provider,
    private readonly init: WorkerInit,
    private readonly onLost?: (reason: string) => void,
  ) {
    this.attach(worker);
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    worker.on('message', (m: FromWorker) => {
      if (worker === this.worker) this.answer(m);
    });
    worker.on('error', (e) => this.lost(worker, e));
    worker.on('exit', (code) => this.lost(worker, new Error(`the model's worker thread exited (code ${code})`)));
    worker.unref(); // held (ref) only while a run is in flight
  }

  /** Starts a worker and creates the session there; rejects with the worker's error message. */
  private static spawn(
    init: WorkerInit,
    onFallback?: (reason: string) => void,
  ): Promise<{ worker: Worker; provider: Provider }> {
    const worker = new Worker(WORKER_URL, { workerData: init });
    return new Promise((resolve, reject) => {
      const early = (e: Error) => reject(e);
      const exited = (code: number) => reject(new Error(`the model's worker thread exited (code ${code})`));
      worker.once('error', early);
      worker.once('exit', exited);
      worker.once('message', (m: FromWorker) => {
        worker.off('error', early);
        worker.off('exit', exited);
        if (m.kind === 'ready') {
          for (const reason of m.fallbacks) onFallback?.(reason);
          resolve({ worker, provider: m.provider });
        } else {
          void worker.terminate();
          reject(new Error(m.kind === 'failed' ? m.message : `unexpected '${m.kind}' from the model's worker`));
        }
      });
    });
  }

  /**
   * Starts the worker and creates the session there: resolves once it is ready (with the provider it
   * chose; each CUDA fallback reason is passed to onFallback), rejects with the worker's error message.
   */
  static async start(
    init: WorkerInit,
    onFallback?: (reason: string) => void,
    onLost?: (reason: string) => void,
  ): Promise<WorkerRunner> {
    const { worker, provider } = await WorkerRunner.spawn(init, onFallback);
    return new WorkerRunner(worker, provider, init, onLost);
  }

  /** Runs in flight or waiting here. */
  get pending(): number {
    return this.waiting.length + (this.inFlight ? 1 : 0);
  }

  run(shape: RunShape, x: Float32Array, h0: Float32Array | undefined, out: RunResult | undefined): Promise<RunResult> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.push({ shape, x, h0, out, resolve, reject });
      this.sendNext();
    });
  }

  private sendNext(): void {
    if (this.inFlight || this.waiting.length === 0 || !this.buffers || !this.worker) return;
    const job = this.waiting.shift() as PendingRun;
    const { T, B, D, L, H, K } = job.shape;
    const b = this.buffers;
    b.x = atLeast(b.x, T * B * D);
    b.h0 = atLeast(b.h0, L * B * H);
    b.logits = atLeast(b.logits, T * B * K);
    b.hT = atLeast(b.hT, L * B * H);
    new Float32Array(b.x, 0, T * B * D).set(job.x);
    const state = new Float32Array(b.h0, 0, L * B * H);
    if (job.h0) state.set(job.h0);
    else state.fill(0);
    this.inFlight = job;
    this.buffers = null; // transferred: the worker holds them until it answers
    this.worker.ref();
    const message: ToWorker = { kind: 'run', shape: job.shape, buffers: b };
    this.worker.postMessage(message, [b.x, b.h0, b.logits, b.hT]);
  }

  private answer(m: FromWorker): void {
    if (m.kind === 'released') {
      this.onReleased?.();
      return;
    }
    if (m.kind !== 'ran' || !this.inFlight) return;
    const job = this.inFlight;
    this.inFlight = null;
    this.buffers = m.buffers;
    if (this.waiting.length === 0) this.worker?.unref();
    if (m.error !== undefined) job.reject(new Error(m.error));
    else {
      const { T, B, L, H, K } = job.shape;
      const logits = new Float32Array(m.buffers.logits, 0, T * B * K);
      const hT = new Float32Array(m.buffers.hT, 0, L * B * H);
      if (job.out) {
        job.out.logits.set(logits);
        job.out.hT.set(hT);
        job.resolve(job.out);
      } else job.resolve({ logits: logits.slice(), hT: hT.slice() });
    }
    this.sendNext();
  }

  /** The worker `worker` died: its run in flight fails; a new worker takes the runs waiting (unless released). */
  private lost(worker: Worker, e: Error): void {
    if (worker !== this.worker) return; // 'error' then 'exit' of the same thread, or a replaced one
    this.worker = null;
    this.buffers = null; // they were in the dead thread, or are replaced with the thread
    const job = this.inFlight;
    this.inFlight = null;
    job?.reject(e);
    if (!this.dead) this.onLost?.(e.message); // not when released: then the thread ends on purpose
    if (this.dead) {
      this.onReleased?.();
      for (const j of this.waiting.splice(0)) j.reject(this.dead);
      return;
    }
    this.restarting = WorkerRunner.spawn(this.init).then(
      ({ worker: next }) => {
        this.restarting = null;
        if (this.dead) {
          void next.terminate();
          return;
        }
        this.buffers = noBuffers();
        this.attach(next);
        this.sendNext();
      },
      (err: Error) => {
        this.restarting = null;
        this.dead ??= new Error(`the model's worker thread died and could not be started again: ${err.message}`);
        for (const j of this.waiting.splice(0)) j.reject(this.dead);
      },
    );
  }

  /** Frees the session in the worker, then ends the thread. */
  async release(): Promise<void> {
    const wasDead = this.dead !== null;
    this.dead ??= new Error('the model was released');
    await this.restarting;
    for (const j of this.waiting.splice(0)) j.reject(this.dead); // a run in flight still ends first
    const worker = this.worker;
    if (!worker) return;
    if (!wasDead) {
      const released = new Promise<void>((resolve) => {
        this.onReleased = resolve;
      });
      const message: ToWorker = { kind: 'release' };
      worker.ref();
      worker.postMessage(message);
      await released;
    }
    this.worker = null;
    await worker.terminate();
  }
}
