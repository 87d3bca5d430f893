// Training augmentation on model-input frames [T, D], D = B*J*3 (after preprocessing, so a rotation
// about the vertical axis is not undone by view alignment). Absent bodies (all-zero) stay zero.
// Every function takes the Rng it draws from, so an epoch reproduces from its seed.
//
// 2D keypoints (every z is 0: image coordinates have no depth) stay 2D: a turn about the vertical only
// narrows them (x times the cosine, as the camera would see a body without depth) and the noise leaves z
// alone, so that training never shows the model a depth it never gets when serving. Layouts that declare
// their mirror pairs (layouts.ts, `mirror`) and are 2D are also flipped left-right: x mirrored and the
// left and right joints swapped, so that a left-handed golf swing looks like a right-handed one.
import type { Rng } from '../util/rng.js';
import type { Layout } from './layouts.js';

export interface SeqDims {
  bodies: number;
  joints: number;
  /** The layout, for the left-right flip of 2D layouts (its dims and mirror pairs). */
  layout?: Pick<Layout, 'dims' | 'mirror'>;
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
  /** Probability of a left-right flip, for 2D layouts with mirror pairs (SeqDims.layout); 0 disables. */
  flip: number;
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  rotateDeg: 20,
  scale: [0.9, 1.1],
  noiseStd: 0.01,
  cropMin: 0.85,
  speed: [0.8, 1.25],
  flip: 0.5,
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

/** True when every z is 0: 2D keypoints. */
export function isPlanar(frames: Float32Array): boolean {
  for (let i = 2; i < frames.length; i += 3) if (frames[i] !== 0) return false;
  return true;
}

/**
 * Rotates every joint about the y axis by `angle` radians, in place. `planar` (2D keypoints): x times
 * cos(angle) and z kept 0, what a camera sees of a body without depth turned so.
 */
export function rotateYaw(frames: Float32Array, angle: number, planar = false): Float32Array {
  const c = Math.cos(angle);
  const s = planar ? 0 : Math.sin(angle);
  for (let i = 0; i + 2 < frames.length; i += 3) {
    const x = frames[i];
    const z = frames[i + 2];
    frames[i] = c * x + s * z;
    frames[i + 2] = -s * x + c * z;
  }
  return frames;
}

/**
 * The left-right mirror image, in place: x negated and each [left, right] pair of `mirror` swapped, in
 * every body (absent bodies stay zero).
 */
export function flipLeftRight(
  frames: Float32Array,
  T: number,
  d: SeqDims,
  mirror: readonly (readonly [number, number])[],
): Float32Array {
  checkFrames(frames, T, frameSize(d));
  for (const [l, r] of mirror)
    if (!(l >= 0 && l < d.joints && r >= 0 && r < d.joints))
      throw new RangeError(`mirror pair [${l}, ${r}] is outside the ${d.joints} joints`);
  for (let i = 0; i < frames.length; i += 3) frames[i] = -frames[i];
  for (let k = 0; k < T * d.bodies; k++) {
    const base = k * d.joints * 3;
    for (const [l, r] of mirror) {
      for (let c = 0; c < 3; c++) {
        const a = base + l * 3 + c;
        const b = base + r * 3 + c;
        const v = frames[a];
        frames[a] = frames[b];
        frames[b] = v;
      }
    }
  }
  return frames;
}

/** Multiplies every coordinate by `factor`, in place. */
export function scaleFrames(frames: Float32Array, factor: number): Float32Array {
  for (let i = 0; i < frames.length; i++) frames[i] *= factor;
  return frames;
}

/** Adds N(0, std) to every coordinate of present bodies (x and y only when `planar`), in place. */
export function jointNoise(
  frames: Float32Array,
  T: number,
  d: SeqDims,
  std: number,
  rng: Rng,
  planar = false,
): Float32Array {
  checkFrames(frames, T, frameSize(d));
  const mask = presentMask(frames, T, d);
  const n = d.joints * 3;
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    for (let i = k * n; i < (k + 1) * n; i++) if (!planar || i % 3 !== 2) frames[i] += rng.normal(0, std);
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

/**
 * All augmentations in a fixed order (speed, crop, flip, rotate, scale, noise); returns a new sequence.
 * The flip draws from `rng` only for a layout it applies to, so that 3D recipes draw what they always did.
 */
export function augment(frames: Float32Array, T: number, d: SeqDims, cfg: AugmentConfig, rng: Rng): Sequence {
  const D = frameSize(d);
  checkFrames(frames, T, D);
  const planar = isPlanar(frames);
  let seq: Sequence = { frames: frames.slice(), T };
  if (cfg.speed[0] !== 1 || cfg.speed[1] !== 1)
    seq = speedChange(seq.frames, seq.T, d, rng.uniform(cfg.speed[0], cfg.speed[1]));
  if (cfg.cropMin < 1) seq = timeCrop(seq.frames, seq.T, D, cfg.cropMin, rng);
  const mirror = d.layout?.dims === 2 ? d.layout.mirror : undefined;
  if (cfg.flip > 0 && mirror && rng.next() < cfg.flip) flipLeftRight(seq.frames, seq.T, d, mirror);
  if (cfg.rotateDeg > 0) rotateYaw(seq.frames, (rng.uniform(-cfg.rotateDeg, cfg.rotateDeg) * Math.PI) / 180, planar);
  if (cfg.scale[0] !== 1 || cfg.scale[1] !== 1) scaleFrames(seq.frames, rng.uniform(cfg.scale[0], cfg.scale[1]));
  if (cfg.noiseStd > 0) jointNoise(seq.frames, seq.T, d, cfg.noiseStd, rng, planar);
  return seq;
}
