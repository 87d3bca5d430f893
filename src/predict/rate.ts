// Frames -> model steps for models with rate sampling ({kind: 'rate', fps, window}), shared by the
// WebSocket stream (step by step) and HTTP predict (whole sequences) so that both give the same numbers.
//
// 1. Resampling, causal: step k shows the latest source frame at or before k/fps (the same indices as
//    src/data/sampling.ts fixedRateIndices, computed incrementally by StepClock).
// 2. Long sequences: the model was trained on windows of at most W = window steps, so its state is never
//    carried further than that. K staggered states run side by side; state k starts fresh at step 0 and is
//    reset to zeros at every step n >= o_k with (n - o_k) % W == 0, where o_k = round(k W / K). The
//    prediction at step n is read from the state with the most history (the earliest start). From step W
//    on, that state has seen between W - W/K + 1 and W steps: always most of a training window, never more.
//    Cost: K rows per stream per step, still O(1) per frame. HTTP predict gets the same numbers by running
//    the model from zeros over [start(n), n] (the state's history is exactly those steps).
//
// n = model step index (0-based), W = window, K = staggered states.
import { fixedRateIndices, gatherFrames } from '../data/sampling.js';

/** Frames per second a client may declare (HTTP predict, stream config): a rate sizes the model steps. */
export const FRAME_RATE = { min: 1, max: 1000 } as const;

/** Staggered states per stream for rate models (3: the used state has at least 2/3 of a window of history). */
export const STAGGERED_STATES = 3;

export interface RateSampling {
  fps: number;
  window: number;
}

/** Reset offsets o_k = round(k W / K), k = 0..K-1 (distinct when K <= W). */
export function staggerOffsets(W: number, K: number): number[] {
  const k = Math.max(1, Math.min(K, W));
  return Array.from({ length: k }, (_, i) => Math.round((i * W) / k));
}

/** Where state with offset o last started at step n: 0 before its first reset, else o + floor((n-o)/W) W. */
export function stateStart(n: number, o: number, W: number): number {
  return n < o ? 0 : o + Math.floor((n - o) / W) * W;
}

/** True when the state with offset o is reset to zeros just before step n. */
export function resetsAt(n: number, o: number, W: number): boolean {
  return n > 0 && n >= o && (n - o) % W === 0;
}

/** The state read at step n (most history; the lowest index on ties) and its start step. */
export function chosenState(n: number, offsets: readonly number[], W: number): { k: number; start: number } {
  let k = 0;
  let start = stateStart(n, offsets[0], W);
  for (let i = 1; i < offsets.length; i++) {
    const s = stateStart(n, offsets[i], W);
    if (s < start) {
      start = s;
      k = i;
    }
  }
  return { k, start };
}

/** Runs from zeros that give steps [from, end) their logits: the run covers [start, end). */
export interface StepSegment {
  start: number;
  from: number;
  end: number;
}

/**
 * Steps 0..n-1 grouped by the start of the state they are read from (non-decreasing in n); `lastOnly`
 * gives just the group of the last step, cut to it. A model without rate sampling is one segment [0, n).
 */
export function stepSegments(n: number, sampling: RateSampling | null, lastOnly: boolean): StepSegment[] {
  if (!sampling) return [{ start: 0, from: lastOnly ? n - 1 : 0, end: n }];
  const W = sampling.window;
  const offsets = staggerOffsets(W, STAGGERED_STATES);
  if (lastOnly) return [{ start: chosenState(n - 1, offsets, W).start, from: n - 1, end: n }];
  const out: StepSegment[] = [];
  for (let t = 0; t < n; t++) {
    const { start } = chosenState(t, offsets, W);
    const cur = out[out.length - 1];
    if (cur && cur.start === start) cur.end = t + 1;
    else out.push({ start, from: t, end: t + 1 });
  }
  return out;
}

/**
 * Causal resampling of a live stream from `srcFps` to `dstFps`, one source frame at a time. Step k exists
 * once a frame at or after its time k/dstFps has arrived, and shows the latest frame at or before that
 * time: the frame just arrived, or the one before it (so a stream keeps its previous frame). Over T frames
 * the steps and their frames are exactly fixedRateIndices(T, srcFps, dstFps).
 */
export class StepClock {
  private frame = -1;
  private step = 0;
  /** advance()'s answer, one array reused: no allocation per frame on the stream's hot path. */
  private readonly completed: number[] = [];

  constructor(
    readonly srcFps: number,
    readonly dstFps: number,
  ) {
    if (!(srcFps > 0) || !(dstFps > 0)) throw new RangeError(`frame rates must be > 0, got ${srcFps} -> ${dstFps}`);
  }

  /**
   * The next source frame arrived: the source frame of each step it completes (this frame or the previous).
   * The array is the clock's own, valid until the next call.
   */
  advance(): readonly number[] {
    this.frame++;
    const out = this.completed;
    out.length = 0;
    const last = Math.floor((this.frame * this.dstFps) / this.srcFps + 1e-9); // as fixedRateIndices' length
    for (; this.step <= last; this.step++)
      out.push(Math.min(this.frame, Math.floor((this.step * this.srcFps) / this.dstFps + 1e-9)));
    return out;
  }

  /** Steps given so far. */
  get steps(): number {
    return this.step;
  }
}

/**
 * Whole sequence x [T, D] at `srcFps` -> model steps [n, D] at the model's fps (HTTP predict), with the
 * source frame of each step (idx [n]).
 */
export function resampleSequence(
  x: Float32Array,
  T: number,
  D: number,
  srcFps: number,
  sampling: RateSampling,
): { x: Float32Array; n: number; idx: Int32Array } {
  const idx = fixedRateIndices(T, srcFps, sampling.fps);
  return { x: gatherFrames(x, D, idx), n: idx.length, idx };
}

/** One run's answer for a sequence: the batch logits [T', B, K] and its row. */
export interface SegmentSlot {
  logits: Float32Array;
  B: number;
  b: number;
}

/**
 * Logits [n, 1, K] of steps x [n, D] under the staggered schedule, from runs of `submit` (one per
 * segment, from zero state); with `lastOnly` only the last step's row is filled.
 */
export async function staggeredLogits(
  submit: (x: Float32Array, T: number) => Promise<SegmentSlot>,
  x: Float32Array,
  n: number,
  D: number,
  K: number,
  sampling: RateSampling | null,
  lastOnly: boolean,
): Promise<Float32Array> {
  const segments = stepSegments(n, sampling, lastOnly);
  const slots = await Promise.all(segments.map((s) => submit(x.subarray(s.start * D, s.end * D), s.end - s.start)));
  const out = new Float32Array(n * K);
  segments.forEach((s, i) => {
    const { logits, B, b } = slots[i];
    for (let t = s.from; t < s.end; t++) {
      const row = ((t - s.start) * B + b) * K;
      out.set(logits.subarray(row, row + K), t * K);
    }
  });
  return out;
}
