// Training augmentation on model-input frames [T, D], D = B*J*3 (after preprocessing, so a rotation
// about the vertical axis is not undone by view alignment). Absent bodies (all-zero) stay zero.
// Every function takes the Rng it draws from, so an epoch reproduces from its seed.
import type { Rng } from '../util/rng.js';

export interface SeqDims {
  bodies: number;
  joints: number;
}

export interface AugmentConfig {
  /** Max rotation about the vertical (y) axis, degrees: angle ~ U(-r, r). 0 disables. */
  rotateDeg: number;
  /** Scale factor range [lo, hi]; [1, 1] disables. */
  scale: [number, number];
  /** Std of Gaussian noise added to every coordinate (model units). 0 disables. */
  noiseStd: number;
  /** Keep a random contiguous crop of at least this fraction of the frames; 1 disables. */
  cropMin: number;
  /** Playback speed range [lo, hi] (2 = twice as fast, half the frames); [1, 1] disables. */
  speed: [number, number];
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  rotateDeg: 20,
  scale: [0.9, 1.1],
  noiseStd: 0.01,
  cropMin: 0.85,
  speed: [0.8, 1.25],
};

export interface Sequence {
  /** [T, D] */
  frames: Float32Array;
  T: number;
}

function frameSize(d: SeqDims): number {
  return d.bodies * d.joints * 3;
}

function checkFrames(frames: Float32Array, T: number, D: number): void {
  if (!(frames instanceof Float32Array)) throw new TypeError('frames must be a Float32Array [T, D]');
  if (frames.length !== T * D)
    throw new RangeError(`frames have ${frames.length} values, expected T*D = ${T}*${D} = ${T * D}`);
}

/** For each (frame, body): true when the body is present (not all zeros). [T*B] */
function presentMask(frames: Float32Array, T: number, d: SeqDims): Uint8Array {
  const n = d.joints * 3;
  const mask = new Uint8Array(T * d.bodies);
  for (let k = 0; k < mask.length; k++) {
    for (let i = k * n; i < (k + 1) * n; i++) {
      if (frames[i] !== 0) {
        mask[k] = 1;
        break;
      }
    }
  }
  return mask;
}

/** Rotates every joint about the y axis by `angle` radians, in place. */
export function rotateYaw(frames: Float32Array, angle: number): Float32Array {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i + 2 < frames.length; i += 3) {
    const x = frames[i];
    const z = frames[i + 2];
    frames[i] = c * x + s * z;
    frames[i + 2] = -s * x + c * z;
  }
  return frames;
}

/** Multiplies every coordinate by `factor`, in place. */
export function scaleFrames(frames: Float32Array, factor: number): Float32Array {
  for (let i = 0; i < frames.length; i++) frames[i] *= factor;
  return frames;
}

/** Adds N(0, std) to every coordinate of present bodies, in place. */
export function jointNoise(frames: Float32Array, T: number, d: SeqDims, std: number, rng: Rng): Float32Array {
  checkFrames(frames, T, frameSize(d));
  const mask = presentMask(frames, T, d);
  const n = d.joints * 3;
  for (let k = 0; k < mask.length; k++) {
    if (mask[k]) for (let i = k * n; i < (k + 1) * n; i++) frames[i] += rng.normal(0, std);
  }
  return frames;
}

/** A random contiguous crop of length in [ceil(cropMin*T), T]. Returns a new sequence. */
export function timeCrop(frames: Float32Array, T: number, D: number, cropMin: number, rng: Rng): Sequence {
  checkFrames(frames, T, D);
  if (!(cropMin > 0 && cropMin <= 1)) throw new RangeError(`cropMin must be in (0, 1], got ${cropMin}`);
  const minLen = Math.max(1, Math.ceil(cropMin * T));
  const len = minLen + rng.int(T - minLen + 1);
  const start = rng.int(T - len + 1);
  return { frames: frames.slice(start * D, (start + len) * D), T: len };
}

/**
 * Plays the sequence at `speed` (linear interpolation between neighbouring frames; where a body is
 * absent in either neighbour, the nearer frame is copied so that zeros are never blended in).
 */
export function speedChange(frames: Float32Array, T: number, d: SeqDims, speed: number): Sequence {
  const D = frameSize(d);
  checkFrames(frames, T, D);
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  const tOut = Math.max(1, Math.round(T / speed));
  const mask = presentMask(frames, T, d);
  const out = new Float32Array(tOut * D);
  const n = d.joints * 3;
  for (let k = 0; k < tOut; k++) {
    const pos = tOut === 1 ? 0 : (k * (T - 1)) / (tOut - 1);
    const t0 = Math.floor(pos);
    const t1 = Math.min(T - 1, t0 + 1);
    const w = pos - t0;
    for (let b = 0; b < d.bodies; b++) {
      const blend = mask[t0 * d.bodies + b] && mask[t1 * d.bodies + b];
      const src0 = t0 * D + b * n;
      const src1 = t1 * D + b * n;
      const dst = k * D + b * n;
      for (let i = 0; i < n; i++) {
        out[dst + i] = blend ? (1 - w) * frames[src0 + i] + w * frames[src1 + i] : frames[(w < 0.5 ? src0 : src1) + i];
      }
    }
  }
  return { frames: out, T: tOut };
}

/** All augmentations in a fixed order (speed, crop, rotate, scale, noise); returns a new sequence. */
export function augment(frames: Float32Array, T: number, d: SeqDims, cfg: AugmentConfig, rng: Rng): Sequence {
  const D = frameSize(d);
  checkFrames(frames, T, D);
  let seq: Sequence = { frames: frames.slice(), T };
  if (cfg.speed[0] !== 1 || cfg.speed[1] !== 1)
    seq = speedChange(seq.frames, seq.T, d, rng.uniform(cfg.speed[0], cfg.speed[1]));
  if (cfg.cropMin < 1) seq = timeCrop(seq.frames, seq.T, D, cfg.cropMin, rng);
  if (cfg.rotateDeg > 0) rotateYaw(seq.frames, (rng.uniform(-cfg.rotateDeg, cfg.rotateDeg) * Math.PI) / 180);
  if (cfg.scale[0] !== 1 || cfg.scale[1] !== 1) scaleFrames(seq.frames, rng.uniform(cfg.scale[0], cfg.scale[1]));
  if (cfg.noiseStd > 0) jointNoise(seq.frames, seq.T, d, cfg.noiseStd, rng);
  return seq;
}
