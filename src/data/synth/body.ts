// A kinematic model of the 25-joint Kinect v2 skeleton. A pose is a small vector of intuitive channels
// (pelvis position, torso bend, wrist and ankle targets); the joints follow from it by forward kinematics
// for the spine and head and two-bone inverse kinematics for the arms and legs, so every pose an action
// asks for is anatomically possible and respects the subject's bone lengths.
//
// Actor frame: x = the actor's left, y = up, z = forward; the floor is y = 0. Joint output: [25, 3] metres.
import type { Rng } from '../../util/rng.js';

/** Kinect v2 joint indices (0-based). */
export const J = {
  SpineBase: 0,
  SpineMid: 1,
  Neck: 2,
  Head: 3,
  ShoulderLeft: 4,
  ElbowLeft: 5,
  WristLeft: 6,
  HandLeft: 7,
  ShoulderRight: 8,
  ElbowRight: 9,
  WristRight: 10,
  HandRight: 11,
  HipLeft: 12,
  KneeLeft: 13,
  AnkleLeft: 14,
  FootLeft: 15,
  HipRight: 16,
  KneeRight: 17,
  AnkleRight: 18,
  FootRight: 19,
  SpineShoulder: 20,
  HandTipLeft: 21,
  ThumbLeft: 22,
  HandTipRight: 23,
  ThumbRight: 24,
} as const;
export const JOINTS = 25;

/** Pose channels (indices into a pose vector of length POSE_SIZE). */
export const C = {
  /** Pelvis (SpineBase) offset in the actor frame: x, z in units of height H; y as a fraction of the standing pelvis height. */
  PX: 0,
  PY: 1,
  PZ: 2,
  /** Whole-body lift above the floor (jumps), units of H. */
  LIFT: 3,
  /** Extra turn of the whole body about the vertical, radians (left positive). */
  YAW: 4,
  /** Forward bend of the torso, sideways bend, radians. */
  FLEX: 5,
  SIDE: 6,
  /** Head nod (forward positive) and turn, radians. */
  HEAD_FLEX: 7,
  HEAD_YAW: 8,
  /** Wrist targets relative to SpineShoulder, in the actor frame, units of arm length (upper arm + forearm). */
  WLX: 9,
  WLY: 10,
  WLZ: 11,
  WRX: 12,
  WRY: 13,
  WRZ: 14,
  /** Ankle targets: x, z in the actor frame (units of H), y = lift above the resting ankle height (units of H). */
  ALX: 15,
  ALY: 16,
  ALZ: 17,
  ARX: 18,
  ARY: 19,
  ARZ: 20,
  /** Elbow direction: 0 = elbows down and back, 1 = out to the side (raised arms). */
  ELBOW_OUT_L: 21,
  ELBOW_OUT_R: 22,
} as const;
export const POSE_SIZE = 23;

export interface Subject {
  /** Height H, metres. */
  height: number;
  /** Segment lengths, metres. */
  spineLower: number;
  spineUpper: number;
  neck: number;
  head: number;
  shoulderHalf: number;
  upperArm: number;
  forearm: number;
  hand: number;
  handTip: number;
  hipHalf: number;
  hipDrop: number;
  thigh: number;
  shin: number;
  ankleHeight: number;
  foot: number;
  /** Habits: tempo multiplies action speed, amplitude scales gestures, posture offsets the rest pose. */
  tempo: number;
  amplitude: number;
  lean: number;
  armSpread: number;
}

/** A subject drawn from `rng`: height ~ N(1.70, 0.08) m, each segment within about ±5 % of the average proportion. */
export function makeSubject(rng: Rng): Subject {
  const H = Math.min(1.95, Math.max(1.45, rng.normal(1.7, 0.08)));
  const seg = (fraction: number): number => H * fraction * rng.uniform(0.95, 1.05);
  return {
    height: H,
    spineLower: seg(0.12),
    spineUpper: seg(0.15),
    neck: seg(0.045),
    head: seg(0.075),
    shoulderHalf: seg(0.1),
    upperArm: seg(0.165),
    forearm: seg(0.145),
    hand: seg(0.045),
    handTip: seg(0.04),
    hipHalf: seg(0.045),
    hipDrop: seg(0.025),
    thigh: seg(0.245),
    shin: seg(0.245),
    ankleHeight: seg(0.04),
    foot: seg(0.07),
    tempo: rng.uniform(0.85, 1.2),
    amplitude: rng.uniform(0.85, 1.15),
    lean: rng.normal(0, 0.04),
    armSpread: rng.uniform(-0.04, 0.06),
  };
}

export function armLength(s: Subject): number {
  return s.upperArm + s.forearm;
}

/** Pelvis (SpineBase) height when standing with nearly straight legs. */
export function standingPelvisHeight(s: Subject): number {
  return s.ankleHeight + 0.985 * (s.thigh + s.shin) + s.hipDrop;
}

/** The neutral standing pose of a subject (arms hanging), as a pose vector. */
export function restPose(s: Subject): Float64Array {
  const p = new Float64Array(POSE_SIZE);
  p[C.PY] = 1;
  p[C.FLEX] = s.lean;
  const wx = (s.shoulderHalf / armLength(s)) * 1.05 + s.armSpread;
  p.set([wx, -0.92, 0.05, -wx, -0.92, 0.05], C.WLX);
  const ax = s.hipHalf / s.height;
  p.set([ax, 0, 0.01, -ax, 0, 0.01], C.ALX);
  return p;
}

type V3 = Float64Array;

const v3 = (x = 0, y = 0, z = 0): V3 => new Float64Array([x, y, z]);
function add(o: V3, a: V3, b: V3, k = 1): V3 {
  for (let i = 0; i < 3; i++) o[i] = a[i] + k * b[i];
  return o;
}
function norm(a: V3): number {
  return Math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); // Math.hypot is several times slower
}
function dot(a: V3, b: V3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Rotation about y (yaw) then the torso's sideways (z) and forward (x) bend, applied to v in place. */
function rotateBody(v: V3, yaw: number, flex: number, side: number): V3 {
  // forward bend: rotate about x so that +y leans to +z
  let y = v[1] * Math.cos(flex) - v[2] * Math.sin(flex);
  let z = v[1] * Math.sin(flex) + v[2] * Math.cos(flex);
  // sideways bend: +y leans to -x (the actor's right) for positive side
  let x = v[0] * Math.cos(side) - y * Math.sin(side);
  y = v[0] * Math.sin(side) + y * Math.cos(side);
  const cx = x * Math.cos(yaw) + z * Math.sin(yaw);
  z = -x * Math.sin(yaw) + z * Math.cos(yaw);
  x = cx;
  v[0] = x;
  v[1] = y;
  v[2] = z;
  return v;
}

/**
 * Two-bone IK: the middle joint for a chain a -> mid -> end of lengths l1, l2 reaching toward `target`,
 * bending toward `pole`. Writes mid and end (end = target, or as near as the chain reaches).
 */
function twoBone(a: V3, target: V3, l1: number, l2: number, pole: V3, mid: V3, end: V3): void {
  const d = v3(target[0] - a[0], target[1] - a[1], target[2] - a[2]);
  const dist = Math.min(Math.max(norm(d), Math.abs(l1 - l2) + 1e-4), (l1 + l2) * 0.999);
  const u = add(v3(), v3(), d, 1 / Math.max(norm(d), 1e-9));
  const along = (l1 * l1 - l2 * l2 + dist * dist) / (2 * dist);
  const h = Math.sqrt(Math.max(0, l1 * l1 - along * along));
  const perp = add(v3(), pole, u, -dot(pole, u));
  const pn = norm(perp);
  if (pn < 1e-9) perp.set(Math.abs(u[1]) < 0.9 ? [0, 1, 0] : [0, 0, 1]);
  else for (let i = 0; i < 3; i++) perp[i] /= pn;
  for (let i = 0; i < 3; i++) {
    mid[i] = a[i] + u[i] * along + perp[i] * h;
    end[i] = a[i] + u[i] * dist;
  }
}

function put(out: Float64Array, j: number, p: V3): void {
  out[j * 3] = p[0];
  out[j * 3 + 1] = p[1];
  out[j * 3 + 2] = p[2];
}

function get(out: Float64Array, j: number): V3 {
  return v3(out[j * 3], out[j * 3 + 1], out[j * 3 + 2]);
}

/** Extends the segment from `from` through `to` by `len`: the hand beyond the wrist, the tip beyond the hand. */
function extend(from: V3, to: V3, len: number): V3 {
  const d = v3(to[0] - from[0], to[1] - from[1], to[2] - from[2]);
  return add(v3(), to, d, len / Math.max(norm(d), 1e-9));
}

function arm(s: Subject, pose: Float64Array, side: 1 | -1, spineShoulder: V3, out: Float64Array): void {
  const yaw = pose[C.YAW];
  const [sh, el, wr, ha, tip, th] =
    side === 1
      ? [J.ShoulderLeft, J.ElbowLeft, J.WristLeft, J.HandLeft, J.HandTipLeft, J.ThumbLeft]
      : [J.ShoulderRight, J.ElbowRight, J.WristRight, J.HandRight, J.HandTipRight, J.ThumbRight];
  const shoulder = add(
    v3(),
    spineShoulder,
    rotateBody(v3(side * s.shoulderHalf, -0.015 * s.height, 0), yaw, pose[C.FLEX], pose[C.SIDE]),
  );
  const w = side === 1 ? C.WLX : C.WRX;
  const L = armLength(s);
  const target = add(v3(), spineShoulder, rotateBody(v3(pose[w] * L, pose[w + 1] * L, pose[w + 2] * L), yaw, 0, 0));
  const out01 = side === 1 ? pose[C.ELBOW_OUT_L] : pose[C.ELBOW_OUT_R];
  const pole = rotateBody(v3(side * (0.25 + 0.9 * out01), -0.3 * (1 - out01), -1 + 0.8 * out01), yaw, 0, 0);
  const elbow = v3();
  const wrist = v3();
  twoBone(shoulder, target, s.upperArm, s.forearm, pole, elbow, wrist);
  const hand = extend(elbow, wrist, s.hand);
  const handTip = extend(wrist, hand, s.handTip);
  // The thumb sits toward the body's midline and front of the hand.
  const thumb = add(v3(), hand, rotateBody(v3(-side * 0.02 * s.height, 0, 0.012 * s.height), yaw, 0, 0));
  put(out, sh, shoulder);
  put(out, el, elbow);
  put(out, wr, wrist);
  put(out, ha, hand);
  put(out, tip, handTip);
  put(out, th, thumb);
}

function leg(s: Subject, pose: Float64Array, side: 1 | -1, base: V3, floor: number, out: Float64Array): void {
  const yaw = pose[C.YAW];
  const [hp, kn, an, ft] =
    side === 1
      ? [J.HipLeft, J.KneeLeft, J.AnkleLeft, J.FootLeft]
      : [J.HipRight, J.KneeRight, J.AnkleRight, J.FootRight];
  const hip = add(v3(), base, rotateBody(v3(side * s.hipHalf, -s.hipDrop, 0), yaw, 0, 0));
  const a = side === 1 ? C.ALX : C.ARX;
  const H = s.height;
  const local = rotateBody(v3(pose[a] * H, 0, pose[a + 2] * H), yaw, 0, 0);
  const target = v3(local[0], floor + s.ankleHeight + pose[a + 1] * H, local[2]);
  const pole = rotateBody(v3(side * 0.15, 0, 1), yaw, 0, 0);
  const knee = v3();
  const ankle = v3();
  twoBone(hip, target, s.thigh, s.shin, pole, knee, ankle);
  const foot = add(v3(), ankle, rotateBody(v3(0, -0.6 * s.ankleHeight, s.foot), yaw, 0, 0));
  put(out, hp, hip);
  put(out, kn, knee);
  put(out, an, ankle);
  put(out, ft, foot);
}

/**
 * Joint positions [25, 3] in the actor frame for `pose`. The ankle targets are on the floor (y = LIFT),
 * the pelvis at PY x the standing pelvis height above it.
 */
export function poseJoints(
  s: Subject,
  pose: Float64Array,
  out: Float64Array = new Float64Array(JOINTS * 3),
): Float64Array {
  const H = s.height;
  const lift = pose[C.LIFT] * H;
  const base = v3(pose[C.PX] * H, lift + pose[C.PY] * standingPelvisHeight(s), pose[C.PZ] * H);
  const { FLEX: f, SIDE: sd, YAW: y } = C;
  const spineMid = add(v3(), base, rotateBody(v3(0, s.spineLower, 0), pose[y], pose[f] * 0.5, pose[sd] * 0.5));
  const spineShoulder = add(v3(), spineMid, rotateBody(v3(0, s.spineUpper, 0), pose[y], pose[f], pose[sd]));
  const neck = add(v3(), spineShoulder, rotateBody(v3(0, s.neck, 0), pose[y], pose[f], pose[sd]));
  const headDir = rotateBody(
    v3(0, s.head, 0.15 * s.head),
    pose[y] + pose[C.HEAD_YAW],
    pose[f] + pose[C.HEAD_FLEX],
    pose[sd],
  );
  put(out, J.SpineBase, base);
  put(out, J.SpineMid, spineMid);
  put(out, J.SpineShoulder, spineShoulder);
  put(out, J.Neck, neck);
  put(out, J.Head, add(v3(), neck, headDir));
  arm(s, pose, 1, spineShoulder, out);
  arm(s, pose, -1, spineShoulder, out);
  leg(s, pose, 1, base, lift, out);
  leg(s, pose, -1, base, lift, out);
  return out;
}

export { get as jointAt };
