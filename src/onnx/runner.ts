// Where a model's onnxruntime session runs. 'inline': in this thread; onnxruntime-node's `session.run` is
// a setImmediate around a synchronous native call, so the event loop stands still for the whole run (no
// request is read, no timer fires). 'worker': in a worker thread of its own (src/onnx/session-worker.ts),
// so this thread reads and answers requests while the model runs. Both create the session the same way
// (createSession: the provider choice, CUDA fallback, thread count) and give the same results.
import * as ort from 'onnxruntime-node';

export type RunnerKind = 'inline' | 'worker';

/** A run's sizes: x [T, B, D], h0 and hT [L, B, H], logits [T, B, K]. */
export interface RunShape {
  T: number;
  B: number;
  D: number;
  L: number;
  H: number;
  K: number;
}

export interface RunResult {
  logits: Float32Array; // [T, B, K]
  hT: Float32Array; // [L, B, H]
}

/** Runs one session; its caller has checked the sizes against the shape. */
export interface SessionRunner {
  /** x [T, B, D], h0 [L, B, H] (zeros when omitted); writes into `out` when given, else fresh arrays. */
  run(shape: RunShape, x: Float32Array, h0: Float32Array | undefined, out: RunResult | undefined): Promise<RunResult>;
  release(): Promise<void>;
}

/** The session in this thread. */
export class InlineRunner implements SessionRunner {
  constructor(private readonly session: ort.InferenceSession) {}

  async run(
    s: RunShape,
    x: Float32Array,
    h0: Float32Array | undefined,
    out: RunResult | undefined,
  ): Promise<RunResult> {
    const { Tensor } = ort;
    const state = h0 ?? new Float32Array(s.L * s.B * s.H);
    const feeds = { x: new Tensor('float32', x, [s.T, s.B, s.D]), h0: new Tensor('float32', state, [s.L, s.B, s.H]) };
    if (out) {
      await this.session.run(feeds, {
        logits: new Tensor('float32', out.logits, [s.T, s.B, s.K]),
        hT: new Tensor('float32', out.hT, [s.L, s.B, s.H]),
      });
      return out;
    }
    const result = await this.session.run(feeds);
    return { logits: result.logits.data as Float32Array, hT: result.hT.data as Float32Array };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
