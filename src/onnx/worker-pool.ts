// Several worker threads for one model, each with its own session (src/onnx/worker-runner.ts): a run goes to
// the worker with the fewest runs in flight or waiting (the first of them on a tie), so with the batcher's
// run slots set to the pool's size (--max-concurrent, which follows --model-workers) that many batches run
// at once. On a CPU of few cores, two sessions of one onnxruntime thread each ran more sequences per second
// than one session of two threads (BENCHMARKS.md, "Model runner"): a run of one thread has no barriers
// between its operators for a preempted thread to hold up.

import type { RunResult, RunShape, SessionRunner } from './runner.js';
import type { Provider } from './session.js';
import type { WorkerRunner } from './worker-runner.js';

export class WorkerPool implements SessionRunner {
  /** workers: started, each with its session ready; at least one. */
  constructor(private readonly workers: readonly WorkerRunner[]) {
    if (workers.length === 0) throw new RangeError('a worker pool needs at least one worker');
  }

  /** The provider the sessions chose (the first worker's: all are created the same way). */
  get provider(): Provider {
    return this.workers[0].provider;
  }

  get size(): number {
    return this.workers.length;
  }

  run(shape: RunShape, x: Float32Array, h0: Float32Array | undefined, out: RunResult | undefined): Promise<RunResult> {
    let least = this.workers[0];
    for (const w of this.workers) if (w.pending < least.pending) least = w;
    return least.run(shape, x, h0, out);
  }

  async release(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.release()));
  }
}
