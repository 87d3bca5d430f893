// Dynamic batching for one model. Sequences from concurrent requests queue up and run together as one
// [T, B, D] batch: right-padded to the longest, each read at its own last frame. The recurrence is
// causal, so padding does not change a sequence's logits up to its last frame (docs/design.md, model
// contract); only the matrix products see a different batch size.
//
// At most maxConcurrent runs at a time per model. A batch starts when a run slot is free and the batch is
// full (maxBatch sequences), or its oldest sequence has waited maxDelayMs (at once when it is 0); it takes
// its sequences off the queue one event-loop turn later (setImmediate), once the poll phase has read every
// request already received. With the inline runner (src/onnx/runner.ts) onnxruntime-node runs the model
// synchronously on this thread, so requests arriving during a run are all parsed in the one poll phase
// after it; taking the batch at the first of them made runs of 1 followed by runs of the rest (mean batch
// 10-14 of 32 clients in bench:server, 21-27 since). While the slots are busy new sequences queue, so under
// load batches fill by themselves. The defaults (one slot, no delay) did best in `npm run bench:server` on
// 2 cores: a run's matrix products already use both cores, a second slot only queues a second synchronous
// run behind the first, and one slot lets the queue grow into large batches (B = 32 runs ~2x the
// sequences/s of B = 1) while a lone request waits one event-loop turn at most. With a pool of worker
// threads (--model-workers) the slots follow its size and a batch is shared among the free ones. `exclusive` runs a job as its own run, in queue order (the
// KServe endpoint's raw tensors with their own state, later the streaming sessions).
import type { IndrnnModel } from '../onnx/model.js';
import type { RunResult } from '../onnx/runner.js';
import { ApiError } from '../predict/errors.js';
import { copyValues } from '../util/copy-values.js';

export interface BatchOptions {
  /** Most sequences per run; 1 turns batching off. */
  maxBatch: number;
  /** Longest time the oldest queued sequence waits for others to join. */
  maxDelayMs: number;
  /** Most sequences waiting; beyond, requests get 503 overloaded. */
  maxQueue: number;
  /** Most model runs in flight at once (default 1). */
  maxConcurrent?: number;
  /** Longest wait in the queue; beyond, the request gets 503 overloaded (a stuck or swamped model). */
  queueTimeoutMs?: number;
  /**
   * Longest model run; beyond, its requests get 504 timeout and the model counts as stuck (readiness 503)
   * until the run returns. A run cannot be cancelled: its slot stays taken until then. The timer fires on
   * time only when the run leaves this thread free (the worker runner); an inline run holds the thread, and
   * is answered when it returns.
   */
  runTimeoutMs?: number;
}

export const DEFAULT_BATCH: Required<BatchOptions> = {
  maxBatch: 32,
  maxDelayMs: 0,
  maxQueue: 1024,
  maxConcurrent: 1,
  queueTimeoutMs: 10_000,
  runTimeoutMs: 30_000,
};

/** What a sequence gets back: the batch's logits and where its own row is. */
export interface BatchSlot {
  logits: Float32Array; // [T, B, K], T = the batch's longest sequence
  B: number;
  b: number;
  /** Its own last frame. */
  last: number;
}

export interface BatchObserver {
  batch(size: number, seconds: number): void;
  queueWait(seconds: number): void;
}

interface SequenceJob {
  kind: 'sequence';
  x: Float32Array; // [T, D]
  T: number;
  queuedAt: number;
  resolve: (slot: BatchSlot) => void;
  reject: (err: unknown) => void;
}

interface ExclusiveJob {
  kind: 'exclusive';
  run: (model: IndrnnModel) => Promise<unknown>;
  queuedAt: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Job = SequenceJob | ExclusiveJob;

export class Batcher {
  private readonly queue: Job[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  /** A slot is taken for a batch whose sequences are taken off the queue at the next check phase. */
  private gathering = false;
  /** The queue's deadline timer (armExpiry). */
  private expiryTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Runs past runTimeoutMs that have not returned yet. */
  private overdue = 0;

  constructor(
    private readonly model: IndrnnModel,
    readonly options: BatchOptions = DEFAULT_BATCH,
    private readonly observer?: BatchObserver,
  ) {}

  /** Sequences waiting (not yet running). */
  get queued(): number {
    return this.queue.length;
  }

  /** True while a run has gone past runTimeoutMs without returning (readiness reports the model stuck). */
  get stuck(): boolean {
    return this.overdue > 0;
  }

  /** Queues one sequence x [T, D]; resolves with its slot in the batch that ran it. */
  submit(x: Float32Array, T: number): Promise<BatchSlot> {
    this.checkRoom();
    return new Promise<BatchSlot>((resolve, reject) => {
      this.enqueue({ kind: 'sequence', x, T, queuedAt: performance.now(), resolve, reject });
    });
  }

  /** Runs `run` alone, in queue order with the batches. */
  exclusive<R>(run: (model: IndrnnModel) => Promise<R>): Promise<R> {
    this.checkRoom();
    return new Promise<R>((resolve, reject) => {
      this.enqueue({
        kind: 'exclusive',
        run,
        queuedAt: performance.now(),
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
  }

  /** Resolves once nothing is queued or running (graceful shutdown). */
  drain(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.armExpiry();
    this.schedule();
  }

  private get queueLimitMs(): number {
    return this.options.queueTimeoutMs ?? DEFAULT_BATCH.queueTimeoutMs;
  }

  /**
   * One timer for the queue deadlines (queueTimeoutMs), not one per job: jobs queue in time order, so the
   * head's deadline is the next. It is armed while something is queued, and cleared when the queue empties.
   */
  private armExpiry(): void {
    if (this.expiryTimer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0].queuedAt + this.queueLimitMs - performance.now());
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      this.expireOverdue();
      this.armExpiry();
    }, wait);
  }

  /** Jobs still queued at their deadline leave the queue with 503 overloaded. */
  private expireOverdue(): void {
    const limit = this.queueLimitMs;
    const now = performance.now() + 1; // the timer's clock has 1 ms steps: a deadline within 1 ms is due
    while (this.queue.length > 0 && this.queue[0].queuedAt + limit <= now) {
      const job = this.queue.shift() as Job;
      job.reject(
        new ApiError(
          'overloaded',
          `model '${this.model.metadata.name}' did not start this request within ${limit} ms (--queue-timeout-ms)${this.stuck ? '; a model run is stuck' : ''}; retry later`,
          { queued: this.queue.length, limitMs: limit },
        ),
      );
    }
    if (this.queue.length === 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Jobs were taken off the queue to run: with none left, no deadline is pending. */
  private taken(): void {
    if (this.queue.length > 0 || !this.expiryTimer) return;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }

  /**
   * `run` or, past runTimeoutMs, a 504 timeout. The run itself goes on (it cannot be cancelled): the
   * model counts as stuck until it returns, and `settled` resolves then, so the caller keeps its slot.
   */
  private withDeadline<R>(run: Promise<R>): { result: Promise<R>; settled: Promise<void> } {
    const limit = this.options.runTimeoutMs ?? DEFAULT_BATCH.runTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const settled = run.then(
      () => {},
      () => {},
    );
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        this.overdue++;
        reject(
          new ApiError(
            'timeout',
            `model '${this.model.metadata.name}' did not finish a run within ${limit} ms (--run-timeout-ms)`,
            { limitMs: limit },
          ),
        );
      }, limit);
    });
    void settled.then(() => {
      clearTimeout(timer);
      if (late) this.overdue--;
    });
    return { result: Promise.race([run, deadline]), settled };
  }

  private checkRoom(): void {
    if (this.queue.length >= this.options.maxQueue) {
      throw new ApiError(
        'overloaded',
        `model '${this.model.metadata.name}' has ${this.queue.length} sequences queued (limit ${this.options.maxQueue}); retry later`,
        {
          queued: this.queue.length,
        },
      );
    }
  }

  private schedule(): void {
    const slots = this.options.maxConcurrent ?? DEFAULT_BATCH.maxConcurrent;
    while (this.running < slots && this.queue.length > 0 && !this.gathering) {
      const head = this.queue[0];
      const waited = performance.now() - head.queuedAt;
      const ready =
        head.kind === 'exclusive' ||
        this.options.maxDelayMs <= 0 ||
        waited >= this.options.maxDelayMs ||
        this.batchableCount() >= this.options.maxBatch;
      if (!ready) {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.schedule();
        }, this.options.maxDelayMs - waited);
        return;
      }
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.running++; // the slot is taken now; runNext gives it back
      if (head.kind === 'exclusive') {
        void this.runNext(); // takes its job off the queue before its first await
        continue;
      }
      // A batch takes its sequences at the next check phase, once this poll phase has read every request
      // that had arrived: onnxruntime-node runs the model synchronously on this thread, so the requests
      // that came during the last run are all parsed in the one poll phase after it, and the first of
      // them would otherwise start a run of one while the others wait a whole run for the next.
      this.gathering = true;
      setImmediate(() => {
        this.gathering = false;
        void this.runNext();
      });
    }
  }

  /**
   * How many of the waiting sequences the batch taken now gets: all (up to maxBatch), or, when the model
   * can run several batches side by side (a pool of worker threads, src/onnx/worker-pool.ts), an even
   * share among this slot and the free slots, so that those runs go together rather than one after the other.
   */
  private batchSize(): number {
    const waiting = this.batchableCount();
    const slots = this.options.maxConcurrent ?? DEFAULT_BATCH.maxConcurrent;
    const free =
      this.model.parallelRuns > 1 ? Math.max(1, Math.min(slots, this.model.parallelRuns) - this.running + 1) : 1;
    return Math.min(Math.ceil(waiting / free), this.options.maxBatch);
  }

  /** Sequence jobs at the head of the queue, up to the first exclusive job. */
  private batchableCount(): number {
    let n = 0;
    while (n < this.queue.length && this.queue[n].kind === 'sequence') n++;
    return n;
  }

  /** Runs the job (or batch) at the head of the queue in a slot already counted in `running`. */
  private async runNext(): Promise<void> {
    try {
      const head = this.queue[0];
      if (head === undefined) return; // its sequences left the queue (expired) before the batch was taken
      if (head.kind === 'exclusive') {
        this.queue.shift();
        this.taken();
        this.observer?.queueWait((performance.now() - head.queuedAt) / 1000);
        let run: Promise<unknown>;
        try {
          run = head.run(this.model);
        } catch (e) {
          run = Promise.reject(e);
        }
        const { result, settled } = this.withDeadline(run);
        try {
          head.resolve(await result);
        } catch (e) {
          head.reject(e);
        }
        await settled;
      } else {
        const jobs = this.queue.splice(0, this.batchSize()) as SequenceJob[];
        this.taken();
        if (this.queue.length > 0) this.schedule(); // the rest to the slots still free
        await this.runBatch(jobs);
      }
    } finally {
      this.running--;
      if (this.queue.length > 0) this.schedule();
      else if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async runBatch(jobs: SequenceJob[]): Promise<void> {
    const D = this.model.inputSize;
    const B = jobs.length;
    const start = performance.now();
    for (const j of jobs) this.observer?.queueWait((start - j.queuedAt) / 1000);
    let T = 0;
    for (const j of jobs) T = Math.max(T, j.T);
    let result: RunResult;
    let settled: Promise<void> = Promise.resolve();
    try {
      let x: Float32Array;
      if (B === 1)
        x = jobs[0].x; // [T, 1, D] is [T, D]
      else {
        // x [T, B, D]: sequence b's frame t at (t*B + b)*D; frames past its end stay 0 (right padding).
        x = new Float32Array(T * B * D);
        jobs.forEach((j, b) => {
          for (let t = 0; t < j.T; t++) copyValues(j.x, t * D, x, (t * B + b) * D, D);
        });
      }
      const run = this.withDeadline(this.model.run(x, T, B));
      settled = run.settled;
      result = await run.result;
    } catch (e) {
      for (const j of jobs) j.reject(e);
      await settled; // a run past its deadline keeps its slot until it returns
      return;
    }
    this.observer?.batch(B, (performance.now() - start) / 1000);
    for (const [b, j] of jobs.entries()) j.resolve({ logits: result.logits, B, b, last: j.T - 1 });
  }
}
