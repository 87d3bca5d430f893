// Dimension glossary used across the network code:
//   T = time steps, B = batch, N = T*B rows, C = channels, I = input size, H = hidden size, K = outputs.
// Sequences are float32 row-major [T, B, C]: row t*B + b holds time step t of sequence b.
import type { Rng } from '../util/rng.js';

export interface Seq {
  readonly data: Float32Array; // [T, B, C]
  readonly T: number;
  readonly B: number;
  readonly C: number;
}

export function seq(data: Float32Array, T: number, B: number, C: number): Seq {
  if (data.length !== T * B * C) {
    throw new RangeError(`sequence has ${data.length} values, expected T*B*C = ${T}*${B}*${C} = ${T * B * C}`);
  }
  return { data, T, B, C };
}

/** What a forward pass needs besides its input. */
export interface ForwardContext {
  training: boolean;
  /** Dropout masks are drawn from this (one stream per step, so runs reproduce). */
  rng?: Rng;
  /** Initial recurrent state per IndRNN layer, each [B, H] (zeros when absent). */
  h0?: (Float32Array | undefined)[];
  /** Filled by the forward pass: final recurrent state per IndRNN layer, each [B, H]. */
  hT?: Float32Array[];
  /**
   * Batch-norm calibration (with training = false: no dropout, nothing saved for backward): normalise
   * with the batch's statistics and fold them into the running ones with this momentum (1/(k+1) for the
   * k-th of K batches gives their plain average). See Trainer.calibrateBatchNorm.
   */
  bnCalibration?: { momentum: number };
  /** Data-parallel training: this batch holds rows offset .. offset+B-1 of a batch of `total` sequences. */
  shard?: { offset: number; total: number };
}

/** A differentiable stage: forward caches what backward needs; backward accumulates parameter grads. */
export interface Layer {
  forward(x: Seq, ctx: ForwardContext): Promise<Seq>;
  /** Returns dL/dx for the last forward's input (may be skipped when the input needs no gradient). */
  backward(dy: Seq): Promise<Seq>;
}

/**
 * Returns `buf` when it already holds n values, else a new array. Layers keep their outputs and
 * gradients in buffers reused from step to step: fresh 5 MB arrays each step cost more in allocation
 * and garbage collection than the elementwise work itself. A layer's buffer is overwritten by its next
 * forward, so callers must use (or copy) a result before running the layer again.
 */
export function reuse(buf: Float32Array | null, n: number): Float32Array {
  return buf !== null && buf.length === n ? buf : new Float32Array(n);
}
