// The Kinect sensor's imperfections: joint jitter (white plus slowly drifting), bursts of inferred or
// untracked joints (mostly hands and feet, more often in side views) with a wrong position while they
// last, and the body fields the file records (hand states, lean, clipped edges).
import type { Rng } from '../../util/rng.js';
import type { NtuBody } from '../ntu-reader.js';
import { JOINT_STRIDE } from '../ntu-reader.js';
import { JOINTS } from './body.js';
import { clippedEdges, orientations, project } from './camera.js';

/** Joints Kinect loses most: wrists, hands, hand tips, thumbs, ankles, feet. */
const FRAGILE = [6, 7, 10, 11, 14, 15, 18, 19, 21, 22, 23, 24];

export interface SensorState {
  rng: Rng;
  /** White jitter std, metres. */
  sigma: number;
  /** Chance per frame and fragile joint that an inferred burst starts. */
  burstRate: number;
  /** Slow drift per coordinate (AR(1)), [25*3]. */
  drift: Float64Array;
  /** Frames left in each joint's burst, and its offset [25*3]. */
  burstLeft: Int32Array;
  burstOffset: Float64Array;
  hand: [number, number];
}

/** `sideView` in [0, 1]: 1 when the body is seen from its side (more self-occlusion). */
export function makeSensor(rng: Rng, sideView: number): SensorState {
  return {
    rng,
    sigma: rng.uniform(0.003, 0.008),
    burstRate: rng.uniform(0.004, 0.012) * (1 + 2 * sideView),
    drift: new Float64Array(JOINTS * 3),
    burstLeft: new Int32Array(JOINTS),
    burstOffset: new Float64Array(JOINTS * 3),
    hand: [rng.int(5), rng.int(5)],
  };
}

/** Adds jitter and tracking bursts to camera-space joints [25*3] in place; returns tracking states [25]. */
export function corrupt(s: SensorState, cam: Float64Array): Uint8Array {
  const { rng } = s;
  const states = new Uint8Array(JOINTS).fill(2);
  for (const j of FRAGILE) {
    if (s.burstLeft[j] === 0 && rng.next() < s.burstRate) {
      s.burstLeft[j] = 3 + rng.int(20);
      for (let c = 0; c < 3; c++) s.burstOffset[j * 3 + c] = rng.normal(0, 0.02);
    }
  }
  for (let j = 0; j < JOINTS; j++) {
    const fragile = s.burstLeft[j] > 0;
    if (fragile) {
      s.burstLeft[j]--;
      states[j] = rng.next() < 0.15 ? 0 : 1;
    }
    const handish = j === 7 || j === 11 || j >= 21;
    for (let c = 0; c < 3; c++) {
      const k = j * 3 + c;
      s.drift[k] = 0.9 * s.drift[k] + rng.normal(0, s.sigma * 0.3);
      const white = rng.normal(0, s.sigma * (c === 2 ? 1.5 : 1) * (handish ? 2 : 1));
      cam[k] += white + s.drift[k] + (fragile ? s.burstOffset[k] : 0);
    }
  }
  return states;
}

/**
 * One body record of a frame from its noisy camera-space joints. `flex`/`side` give Kinect's lean,
 * `yaw` the facing used for the joint orientations.
 */
export function bodyRecord(
  s: SensorState,
  id: string,
  cam: Float64Array,
  states: Uint8Array,
  parents: readonly number[],
  lean: { flex: number; side: number; yaw: number },
): NtuBody {
  const joints = new Float64Array(JOINTS * JOINT_STRIDE);
  const q = orientations(cam, parents, lean.yaw);
  for (let j = 0; j < JOINTS; j++) {
    const o = j * JOINT_STRIDE;
    const x = cam[j * 3];
    const y = cam[j * 3 + 1];
    const z = cam[j * 3 + 2];
    joints[o] = x;
    joints[o + 1] = y;
    joints[o + 2] = z;
    project(x, y, z, joints, o + 3);
    for (let k = 0; k < 4; k++) joints[o + 7 + k] = q[j * 4 + k];
  }
  // hand states change now and then (Kinect: 0 unknown, 1 not tracked, 2 open, 3 closed, 4 lasso)
  for (const h of [0, 1] as const) if (s.rng.next() < 0.03) s.hand[h] = s.rng.int(5);
  const clamp = (v: number): number => Math.max(-1, Math.min(1, v));
  return {
    id,
    clippedEdges: clippedEdges(cam),
    handLeftConfidence: s.hand[0] >= 2 ? 1 : 0,
    handLeftState: s.hand[0],
    handRightConfidence: s.hand[1] >= 2 ? 1 : 0,
    handRightState: s.hand[1],
    isRestricted: 0,
    leanX: clamp(-Math.sin(lean.side) * 2),
    leanY: clamp(Math.sin(lean.flex) * 2),
    trackingState: 2,
    jointCount: JOINTS,
    joints,
    jointTracking: states,
  };
}
