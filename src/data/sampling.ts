// Frame sampling. T_in = frames in the sequence, T_out = frames given to the model, D = values per frame.
//  - Paper sampling (IndRNN, Li et al. 2018): split the sequence into T_out equal segments and take one
//    random frame from each in training, the centre frame at test time.
//  - Fixed rate for streaming: resample causally to a fixed frame rate.
import type { Rng } from '../util/rng.js';

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v)) throw new TypeError(`${name} must be an integer, got ${v}`);
  if (v < min) throw new RangeError(`${name} must be >= ${min}, got ${v}`);
}

/**
 * Frame indices [T_out] into a sequence of T_in frames: segment i = [floor(i*T_in/T_out), floor((i+1)*T_in/T_out)),
 * a random frame of it when `rng` is given, its centre when null. When T_in < T_out frames repeat.
 */
export function sampleSegments(tIn: number, tOut: number, rng: Rng | null): Int32Array {
  checkCount('T_in', tIn, 1);
  checkCount('T_out', tOut, 1);
  const idx = new Int32Array(tOut);
  for (let i = 0; i < tOut; i++) {
    const start = Math.min(Math.floor((i * tIn) / tOut), tIn - 1);
    const len = Math.max(1, Math.floor(((i + 1) * tIn) / tOut) - start);
    idx[i] = start + (rng ? rng.int(len) : Math.floor((len - 1) / 2));
  }
  return idx;
}

/** Gathers frames: src [T_in, D] -> [idx.length, D]. */
export function gatherFrames(src: Float32Array, D: number, idx: Int32Array | readonly number[]): Float32Array {
  checkCount('D', D, 1);
  if (src.length % D !== 0) throw new RangeError(`frames have ${src.length} values, not a multiple of D = ${D}`);
  const tIn = src.length / D;
  const out = new Float32Array(idx.length * D);
  for (let i = 0; i < idx.length; i++) {
    const t = idx[i];
    if (t < 0 || t >= tIn) throw new RangeError(`frame index ${t} at position ${i} is outside 0..${tIn - 1}`);
    out.set(src.subarray(t * D, (t + 1) * D), i * D);
  }
  return out;
}

/** Frames T_in at `srcFps` resampled to `dstFps`: how many (the length of fixedRateIndices, without it). */
export function resampledLength(tIn: number, srcFps: number, dstFps: number): number {
  return Math.floor(((tIn - 1) * dstFps) / srcFps + 1e-9) + 1;
}

/**
 * Indices that resample T_in frames recorded at `srcFps` to `dstFps`, causally: output frame k shows
 * the latest source frame at or before time k/dstFps. Length floor((T_in-1)*dstFps/srcFps)+1.
 */
export function fixedRateIndices(tIn: number, srcFps: number, dstFps: number): Int32Array {
  checkCount('T_in', tIn, 1);
  if (!(srcFps > 0) || !(dstFps > 0)) throw new RangeError(`frame rates must be > 0, got ${srcFps} -> ${dstFps}`);
  const n = resampledLength(tIn, srcFps, dstFps);
  const idx = new Int32Array(n);
  for (let k = 0; k < n; k++) idx[k] = Math.min(tIn - 1, Math.floor((k * srcFps) / dstFps + 1e-9));
  return idx;
}
