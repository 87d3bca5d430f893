// Loading an exported model: validate the file against the contract before use (clear errors that name
// the file and the problem: src/onnx/validate.ts; read and checked off this thread, size first:
// src/onnx/model-file.ts), choose the execution provider (CUDA when asked or available, CPU otherwise),
// and run it.
import { availableParallelism } from 'node:os';
import type { ModelMetadata } from './metadata.js';
import { DEFAULT_MAX_MODEL_BYTES, readValidModelFile } from './model-file.js';
import { InlineRunner, type RunnerKind, type RunResult, type SessionRunner } from './runner.js';
import { createSession, type Provider, type SessionOptions } from './session.js';
import { ModelFileError, validateModelBytes } from './validate.js';
import { WorkerPool } from './worker-pool.js';
import { WorkerRunner } from './worker-runner.js';

export interface LoadOptions extends SessionOptions {
  /** Where the session runs: this thread ('inline', the default) or a worker thread of its own (src/onnx/runner.ts). */
  runner?: RunnerKind;
  /**
   * With runner 'worker': how many worker threads, each with a session of its own (default 1). With threads
   * 0 (one per core), each session gets an equal share of the cores, at least one thread.
   */
  workers?: number;
  /** Told why, each time the model's worker thread died (it is then started again). */
  onWorkerLost?: (reason: string) => void;
  /** load(): the largest file read (default DEFAULT_MAX_MODEL_BYTES); a larger one is refused unread. */
  maxBytes?: number;
}

/** opts.workers (default 1) worker threads with a session each; one is the runner itself, more a pool. */
async function startWorkers(bytes: Uint8Array, path: string, opts: LoadOptions): Promise<WorkerRunner | WorkerPool> {
  const n = opts.workers ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`workers must be a whole number >= 1, got ${n}`);
  const threads = opts.threads && opts.threads > 0 ? opts.threads : Math.max(1, Math.floor(availableParallelism() / n));
  const init = { bytes, path, provider: opts.provider ?? 'auto', threads };
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      WorkerRunner.start(init, i === 0 ? opts.onFallback : undefined, opts.onWorkerLost),
    ),
  );
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
    const message = (failed.reason as Error).message;
    // The worker's createSession errors already name the file.
    throw new ModelFileError(path, message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message);
  }
  const workers = started.map((r) => (r as PromiseFulfilledResult<WorkerRunner>).value);
  return n === 1 ? workers[0] : new WorkerPool(workers);
}

export class IndrnnModel {
  private constructor(
    readonly path: string,
    readonly metadata: ModelMetadata,
    readonly provider: Provider,
    private readonly runner: SessionRunner,
    /** Where the session runs. */
    readonly runnerKind: RunnerKind,
  ) {}

  /**
   * The model in a file: read and checked in a worker thread (the file's size first: over opts.maxBytes it
   * is not read), then its session created from the checked bytes, which are not kept.
   */
  static async load(path: string, opts: LoadOptions = {}): Promise<IndrnnModel> {
    const { bytes, metadata } = await readValidModelFile(path, opts.maxBytes ?? DEFAULT_MAX_MODEL_BYTES);
    return IndrnnModel.start(bytes, metadata, path, opts);
  }

  /** The model in bytes already in memory (checked on this thread). */
  static async fromBytes(bytes: Uint8Array, path: string, opts: LoadOptions = {}): Promise<IndrnnModel> {
    return IndrnnModel.start(bytes, validateModelBytes(bytes, path), path, opts);
  }

  private static async start(
    bytes: Uint8Array,
    metadata: ModelMetadata,
    path: string,
    opts: LoadOptions,
  ): Promise<IndrnnModel> {
    if (opts.runner === 'worker') {
      const runner = await startWorkers(bytes, path, opts);
      return new IndrnnModel(path, metadata, runner.provider, runner, 'worker');
    }
    const { session, provider } = await createSession(bytes, path, opts);
    return new IndrnnModel(path, metadata, provider, new InlineRunner(session), 'inline');
  }

  /** How many runs can go side by side: the workers of a pool (--model-workers), else 1. */
  get parallelRuns(): number {
    return this.runner instanceof WorkerPool ? this.runner.size : 1;
  }

  get inputSize(): number {
    return this.metadata.input_size;
  }
  get numLayers(): number {
    return this.metadata.num_layers;
  }
  get hiddenSize(): number {
    return this.metadata.hidden_size;
  }
  get numOutputs(): number {
    return this.metadata.num_outputs;
  }

  /**
   * x[T, B, D], h0[L, B, H] (zeros when omitted) -> logits [T, B, K], hT [L, B, H]. With `out`, the results
   * are written into those arrays (sized exactly) instead of fresh ones: a stream server running a small
   * batch a thousand times a second otherwise churns enough external memory to force a full GC every few
   * hundred milliseconds, each a 5-10 ms pause.
   */
  async run(x: Float32Array, T: number, B: number, h0?: Float32Array, out?: RunResult): Promise<RunResult> {
    const { inputSize: D, numLayers: L, hiddenSize: H } = this;
    if (x.length !== T * B * D) throw new RangeError(`x has ${x.length} values, expected T*B*D = ${T}*${B}*${D}`);
    if (h0 && h0.length !== L * B * H)
      throw new RangeError(`h0 has ${h0.length} values, expected L*B*H = ${L}*${B}*${H}`);
    const K = this.numOutputs;
    if (out) {
      if (out.logits.length !== T * B * K)
        throw new RangeError(`out.logits has ${out.logits.length} values, expected T*B*K = ${T * B * K}`);
      if (out.hT.length !== L * B * H)
        throw new RangeError(`out.hT has ${out.hT.length} values, expected L*B*H = ${L * B * H}`);
    }
    return this.runner.run({ T, B, D, L, H, K }, x, h0, out);
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}
