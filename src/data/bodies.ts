// Body selection: from the bodies Kinect reported (any number per frame, ids that come and go) to a fixed
// [T, bodies, J, 3] array, keeping the bodies with the most motion energy (as in the NTU-60 reference
// preprocessing: energy = sum over joints and axes of the variance over time), zero-filling a missing one.
import type { NtuSkeleton } from './ntu-reader.js';
import { JOINT_STRIDE } from './ntu-reader.js';

export interface BodySelectOptions {
  /** Bodies kept per frame (default 2: NTU input is 2 x 25 x 3 = 150 values per frame). */
  bodies?: number;
  /** Joints per body; a body with another count is an error. Default 25. */
  joints?: number;
  /**
   * Bodies seen in fewer than this fraction of the frames are ignored when others exist (Kinect briefly
   * takes furniture or a shadow for a person). Default 0.1.
   */
  minPresence?: number;
  /** Hold a body's last pose over frames where it was briefly lost (between its first and last frame). Default true. */
  fillGaps?: boolean;
  /** Drop frames in which no selected body is present (leading/trailing empty frames). Default true. */
  dropEmptyFrames?: boolean;
}

export interface BodySelection {
  /** Frames kept. */
  T: number;
  bodies: number;
  joints: number;
  /** [T, bodies, joints, 3] positions in metres; an absent body is all zeros. */
  data: Float32Array;
  /** Source frame index of each kept frame, [T]. */
  frameIndex: Int32Array;
  /** Body id in each slot (null: no body), ordered by motion energy, highest first. */
  ids: (string | null)[];
}

interface Track {
  id: string;
  frames: number[];
  /** Running sums for the variance of each coordinate: sum and sum of squares, [J*3] each. */
  sum: Float64Array;
  sumSq: Float64Array;
}

function collectTracks(sk: NtuSkeleton, joints: number): Map<string, Track> {
  const tracks = new Map<string, Track>();
  sk.frames.forEach((frame, t) => {
    for (const b of frame.bodies) {
      if (b.jointCount !== joints) {
        throw new RangeError(
          `${sk.source}: frame ${t + 1}, body ${b.id}: expected ${joints} joints, got ${b.jointCount}`,
        );
      }
      let tr = tracks.get(b.id);
      if (!tr) {
        tr = { id: b.id, frames: [], sum: new Float64Array(joints * 3), sumSq: new Float64Array(joints * 3) };
        tracks.set(b.id, tr);
      }
      if (tr.frames[tr.frames.length - 1] === t) continue; // the same id twice in one frame: keep the first
      tr.frames.push(t);
      for (let j = 0; j < joints; j++) {
        for (let c = 0; c < 3; c++) {
          const v = b.joints[j * JOINT_STRIDE + c];
          tr.sum[j * 3 + c] += v;
          tr.sumSq[j * 3 + c] += v * v;
        }
      }
    }
  });
  return tracks;
}

/** Motion energy: sum over joints and axes of the variance over the frames the body is seen in. */
function energy(tr: Track): number {
  const n = tr.frames.length;
  if (n < 2) return 0;
  let e = 0;
  for (let i = 0; i < tr.sum.length; i++) {
    const mean = tr.sum[i] / n;
    e += Math.max(0, tr.sumSq[i] / n - mean * mean);
  }
  return e;
}

/** The ids to keep, highest energy first. */
function chooseBodies(tracks: Map<string, Track>, T: number, keep: number, minPresence: number): string[] {
  const all = [...tracks.values()];
  const present = all.filter((tr) => tr.frames.length >= minPresence * T);
  const pool = present.length > 0 ? present : all;
  return pool
    .map((tr) => ({ id: tr.id, e: energy(tr) }))
    .sort((a, b) => b.e - a.e)
    .slice(0, keep)
    .map((c) => c.id);
}

/** Selects bodies and returns positions [T, bodies, joints, 3]. */
export function selectBodies(sk: NtuSkeleton, options: BodySelectOptions = {}): BodySelection {
  const { bodies = 2, joints = 25, minPresence = 0.1, fillGaps = true, dropEmptyFrames = true } = options;
  if (!Number.isInteger(bodies) || bodies < 1) throw new RangeError(`bodies must be a positive integer, got ${bodies}`);
  const T0 = sk.frames.length;
  const tracks = collectTracks(sk, joints);
  const ids = chooseBodies(tracks, T0, bodies, minPresence);
  const D = bodies * joints * 3;
  const full = new Float32Array(T0 * D);
  const present = new Uint8Array(T0);
  ids.forEach((id, slot) => {
    const tr = tracks.get(id)!;
    const first = tr.frames[0];
    const last = tr.frames[tr.frames.length - 1];
    let prev = -1;
    for (let t = first; t <= last; t++) {
      const b = sk.frames[t].bodies.find((x) => x.id === id);
      const dst = t * D + slot * joints * 3;
      if (b) {
        for (let j = 0; j < joints; j++) {
          for (let c = 0; c < 3; c++) full[dst + j * 3 + c] = b.joints[j * JOINT_STRIDE + c];
        }
        prev = t;
      } else if (fillGaps && prev >= 0) {
        full.copyWithin(dst, prev * D + slot * joints * 3, prev * D + (slot + 1) * joints * 3);
      } else continue;
      present[t] = 1;
    }
  });
  const keep: number[] = [];
  for (let t = 0; t < T0; t++) if (present[t] || !dropEmptyFrames) keep.push(t);
  const data = keep.length === T0 ? full : new Float32Array(keep.length * D);
  if (data !== full) {
    keep.forEach((t, i) => {
      data.set(full.subarray(t * D, (t + 1) * D), i * D);
    });
  }
  const slots: (string | null)[] = Array.from({ length: bodies }, (_, k) => ids[k] ?? null);
  return { T: keep.length, bodies, joints, data, frameIndex: Int32Array.from(keep), ids: slots };
}

/** Keeps the first `bodies` of B bodies (or zero-pads): [T, B, J, 3] -> [T, bodies, J, 3]. */
export function keepBodies(data: Float32Array, T: number, B: number, J: number, bodies: number): Float32Array {
  if (B === bodies) return data;
  const n = J * 3;
  const out = new Float32Array(T * bodies * n);
  const keep = Math.min(B, bodies);
  for (let t = 0; t < T; t++) out.set(data.subarray(t * B * n, (t * B + keep) * n), t * bodies * n);
  return out;
}
