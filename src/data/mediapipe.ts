// MediaPipe Pose (BlazePose, the 33 landmarks of the `mediapipe33` layout) -> the Kinect layouts the
// shipped models were trained on (`kinect20`, `ntu25`). One module, used by the browser's camera source
// (src/ui/camera, which bundles this very file), by `indrnn data build --to-layout` and by the
// server when a request says `"layout": "mediapipe33"`. No Node import: it runs in the browser too.
//
// Axes. mediapipe33 frames are MediaPipe's world landmarks as MediaPipe gives them: metres, x towards the
// image's right, y DOWN, z away from the camera; the origin is the mid-hips (or the camera, once
// bodyPosition's estimate of where the body is has been added). The Kinect layouts are Kinect camera space:
// metres, x towards the sensor's left (the image's left), y UP, z away from the sensor. One is the other
// turned half a turn about z: (x, y, z) -> (-x, -y, z). A turn, not a mirror: the person's left hand stays
// the left joint, and the preprocessing's view alignment (left along -x, up +y) sees the body upright.
//
// Joints. Shoulders, elbows, wrists, hips, knees and ankles are landmarks of both. The joints MediaPipe has
// no landmark for are placed where the Kinect trackers put them relative to those, as measured on real
// recordings by scripts/kinect-proportions.ts (medians over N-UCLA for Kinect v1, PKU-MMD for Kinect v2):
// the hip and shoulder centres and the spine on the line from the mid-hips to the mid-shoulders, the neck
// between the shoulder centre and the head, the hand, hand tip and foot a measured fraction of the
// forearm (shin) beyond the wrist (ankle), towards the knuckles (toes). The head is the mid-ears.
//
// Shapes: J = joints of the target layout. A body is Float32Array [33 * 3] in, [J * 3] out; a body that
// is all zeros (absent) stays all zeros.
import { getLayout, type LayoutName } from './layouts.js';

export const MEDIAPIPE_JOINTS = 33;

/** The layouts a mediapipe33 body can be turned into. */
export type MediapipeTarget = Extract<LayoutName, 'kinect20' | 'ntu25'>;
export const MEDIAPIPE_TARGETS: readonly MediapipeTarget[] = ['kinect20', 'ntu25'];

export function isMediapipeTarget(name: string): name is MediapipeTarget {
  return (MEDIAPIPE_TARGETS as readonly string[]).includes(name);
}

// MediaPipe landmark indices (layouts.ts, mediapipe33).
const LM = {
  leftEar: 7,
  rightEar: 8,
  leftShoulder: 11,
  rightShoulder: 12,
  leftElbow: 13,
  rightElbow: 14,
  leftWrist: 15,
  rightWrist: 16,
  leftPinky: 17,
  rightPinky: 18,
  leftIndex: 19,
  rightIndex: 20,
  leftThumb: 21,
  rightThumb: 22,
  leftHip: 23,
  rightHip: 24,
  leftKnee: 25,
  rightKnee: 26,
  leftAnkle: 27,
  rightAnkle: 28,
  leftFootIndex: 31,
  rightFootIndex: 32,
} as const;

/**
 * Kinect geometry (scripts/kinect-proportions.ts, medians). Spine figures are positions along the line from
 * the hip centre (0) to the shoulder centre (1) that the tracker itself reports; reach figures are
 * distances beyond the wrist (ankle) as a fraction of the forearm (shin).
 */
export const KINECT_PROPORTIONS = {
  kinect20: { midHips: -0.175, midShoulders: 0.756, spine: 0.168, hand: 0.331, handTip: null, foot: 0.24, neck: null },
  ntu25: { midHips: 0.005, midShoulders: 0.898, spine: 0.577, hand: 0.266, handTip: 0.307, foot: 0.332, neck: 0.343 },
} as const satisfies Record<MediapipeTarget, object>;

/** A point: the weighted sum of landmarks (weights adding up to 1, so that it moves with the body). */
type Affine = readonly (readonly [landmark: number, weight: number])[];

/** How one target joint is made. */
export interface JointRecipe {
  readonly joint: string;
  /** The point: a landmark, a mean of landmarks, or a point on (or beyond) the line between two. */
  readonly at: Affine;
  /** Then moved `times` x |bone| towards `toward` (hands and feet: the wrist towards the knuckles). */
  readonly reach?: { readonly toward: Affine; readonly bone: readonly [number, number]; readonly times: number };
  /** The landmarks it depends on (its confidence is theirs at the lowest). */
  readonly sources: readonly number[];
}

const one = (lm: number): Affine => [[lm, 1]];
const mean = (...lms: number[]): Affine => lms.map((l) => [l, 1 / lms.length] as const);
/** The point a fraction f of the way from a to b (f outside [0, 1]: beyond them). */
function lerp(a: Affine, b: Affine, f: number): Affine {
  return [...a.map(([l, w]) => [l, w * (1 - f)] as const), ...b.map(([l, w]) => [l, w * f] as const)];
}
const MID_HIPS = mean(LM.leftHip, LM.rightHip);
const MID_SHOULDERS = mean(LM.leftShoulder, LM.rightShoulder);
const HEAD = mean(LM.leftEar, LM.rightEar);

/**
 * A point on the Kinect spine: `spineF` along the tracker's hip centre -> shoulder centre, placed so that
 * the mid-hips and mid-shoulders fall where the tracker puts its own hip and shoulder joints.
 */
function onSpine(p: { midHips: number; midShoulders: number }, spineF: number): Affine {
  return lerp(MID_HIPS, MID_SHOULDERS, (spineF - p.midHips) / (p.midShoulders - p.midHips));
}

function recipe(joint: string, at: Affine, reach?: JointRecipe['reach']): JointRecipe {
  const sources = [...new Set([...at, ...(reach?.toward ?? [])].map(([l]) => l).concat(reach?.bone ?? []))];
  return { joint, at, reach, sources: sources.sort((a, b) => a - b) };
}

type Side = 'Left' | 'Right';
const side = (s: Side, left: number, right: number) => (s === 'Left' ? left : right);

/** The wrist moved `times` x the forearm towards the knuckles (Kinect's hand and hand tip). */
function beyondWrist(joint: string, s: Side, times: number): JointRecipe {
  const elbow = side(s, LM.leftElbow, LM.rightElbow);
  const wrist = side(s, LM.leftWrist, LM.rightWrist);
  const knuckles = mean(side(s, LM.leftIndex, LM.rightIndex), side(s, LM.leftPinky, LM.rightPinky));
  return recipe(joint, one(wrist), { toward: knuckles, bone: [elbow, wrist], times });
}

function arm(s: Side, handReach: number): JointRecipe[] {
  return [
    recipe(`Shoulder${s}`, one(side(s, LM.leftShoulder, LM.rightShoulder))),
    recipe(`Elbow${s}`, one(side(s, LM.leftElbow, LM.rightElbow))),
    recipe(`Wrist${s}`, one(side(s, LM.leftWrist, LM.rightWrist))),
    beyondWrist(`Hand${s}`, s, handReach),
  ];
}

function leg(s: Side, footReach: number): JointRecipe[] {
  const knee = side(s, LM.leftKnee, LM.rightKnee);
  const ankle = side(s, LM.leftAnkle, LM.rightAnkle);
  return [
    recipe(`Hip${s}`, one(side(s, LM.leftHip, LM.rightHip))),
    recipe(`Knee${s}`, one(knee)),
    recipe(`Ankle${s}`, one(ankle)),
    recipe(`Foot${s}`, one(ankle), {
      toward: one(side(s, LM.leftFootIndex, LM.rightFootIndex)),
      bone: [knee, ankle],
      times: footReach,
    }),
  ];
}

function kinect20Recipes(): JointRecipe[] {
  const p = KINECT_PROPORTIONS.kinect20;
  return [
    recipe('HipCenter', onSpine(p, 0)),
    recipe('Spine', onSpine(p, p.spine)),
    recipe('ShoulderCenter', onSpine(p, 1)),
    recipe('Head', HEAD),
    ...arm('Left', p.hand),
    ...arm('Right', p.hand),
    ...leg('Left', p.foot),
    ...leg('Right', p.foot),
  ];
}

function ntu25Recipes(): JointRecipe[] {
  const p = KINECT_PROPORTIONS.ntu25;
  const spineShoulder = onSpine(p, 1);
  return [
    recipe('SpineBase', onSpine(p, 0)),
    recipe('SpineMid', onSpine(p, p.spine)),
    recipe('Neck', lerp(spineShoulder, HEAD, p.neck)),
    recipe('Head', HEAD),
    ...arm('Left', p.hand),
    ...arm('Right', p.hand),
    ...leg('Left', p.foot),
    ...leg('Right', p.foot),
    recipe('SpineShoulder', spineShoulder),
    beyondWrist('HandTipLeft', 'Left', p.hand + p.handTip),
    recipe('ThumbLeft', one(LM.leftThumb)),
    beyondWrist('HandTipRight', 'Right', p.hand + p.handTip),
    recipe('ThumbRight', one(LM.rightThumb)),
  ];
}

/** The recipe of every joint of `target`, in the layout's joint order (checked against layouts.ts). */
function buildRecipes(target: MediapipeTarget): readonly JointRecipe[] {
  const list = target === 'kinect20' ? kinect20Recipes() : ntu25Recipes();
  const names = getLayout(target).joints;
  if (list.length !== names.length || list.some((r, j) => r.joint !== names[j]))
    throw new Error(`mediapipe recipes for ${target} do not follow its joint order`);
  for (const r of list) {
    const sum = r.at.reduce((s, [, w]) => s + w, 0);
    if (Math.abs(sum - 1) > 1e-9) throw new Error(`mediapipe recipe ${target}.${r.joint}: weights add up to ${sum}`);
  }
  return list;
}

export const MEDIAPIPE_RECIPES: Readonly<Record<MediapipeTarget, readonly JointRecipe[]>> = {
  kinect20: buildRecipes('kinect20'),
  ntu25: buildRecipes('ntu25'),
};

// Scratch for one point (the conversion runs per frame: no allocation).
const P = new Float64Array(3);
const Q = new Float64Array(3);

function place(a: Affine, lm: Float32Array, base: number, out: Float64Array): void {
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  for (let k = 0; k < a.length; k++) {
    const i = base + a[k][0] * 3;
    const w = a[k][1];
    out[0] += w * lm[i];
    out[1] += w * lm[i + 1];
    out[2] += w * lm[i + 2];
  }
}

function allZero(v: Float32Array, from: number, n: number): boolean {
  for (let i = from; i < from + n; i++) if (v[i] !== 0) return false;
  return true;
}

/**
 * One body: mediapipe33 landmarks lm[base .. base + 99) (MediaPipe axes) -> the target layout's joints
 * out[outBase .. outBase + J*3) (Kinect axes). An all-zero body (absent) gives zeros.
 */
export function mediapipeBodyTo(
  target: MediapipeTarget,
  lm: Float32Array,
  base: number,
  out: Float32Array,
  outBase: number,
): void {
  const recipes = MEDIAPIPE_RECIPES[target];
  if (allZero(lm, base, MEDIAPIPE_JOINTS * 3)) {
    out.fill(0, outBase, outBase + recipes.length * 3);
    return;
  }
  for (let j = 0; j < recipes.length; j++) {
    const r = recipes[j];
    place(r.at, lm, base, P);
    if (r.reach) {
      place(r.reach.toward, lm, base, Q);
      const a = base + r.reach.bone[0] * 3;
      const b = base + r.reach.bone[1] * 3;
      const bx = lm[b] - lm[a];
      const by = lm[b + 1] - lm[a + 1];
      const bz = lm[b + 2] - lm[a + 2];
      const bone = Math.sqrt(bx * bx + by * by + bz * bz); // not Math.hypot: several times slower in V8
      const dx = Q[0] - P[0];
      const dy = Q[1] - P[1];
      const dz = Q[2] - P[2];
      const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (d > 1e-9) {
        const k = (r.reach.times * bone) / d;
        P[0] += k * dx;
        P[1] += k * dy;
        P[2] += k * dz;
      }
    }
    // Half a turn about z: MediaPipe (x right, y down) -> Kinect (x left, y up).
    const o = outBase + j * 3;
    out[o] = -P[0];
    out[o + 1] = -P[1];
    out[o + 2] = P[2];
  }
}

/**
 * Frames of mediapipe33 bodies [T, B, 33, 3] -> [T, B, J, 3] of the target layout (into `out` when given,
 * at least T*B*J*3 values; the result is a view on it).
 */
export function mediapipeFramesTo(
  target: MediapipeTarget,
  lm: Float32Array,
  T: number,
  B: number,
  out?: Float32Array,
): Float32Array {
  const J = MEDIAPIPE_RECIPES[target].length;
  if (lm.length < T * B * MEDIAPIPE_JOINTS * 3)
    throw new RangeError(`landmarks have ${lm.length} values, expected T*B*33*3 = ${T * B * MEDIAPIPE_JOINTS * 3}`);
  const n = T * B * J * 3;
  const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
  for (let k = 0; k < T * B; k++) mediapipeBodyTo(target, lm, k * MEDIAPIPE_JOINTS * 3, dst, k * J * 3);
  return dst;
}

/**
 * The body's position in the camera from MediaPipe's two outputs: world landmarks (metres, origin at the
 * mid-hips) and image landmarks (x, y in [0, 1] of the image's width and height). Under a pinhole camera
 * with `hfovDeg` horizontal field of view, a point (X, Y, Z) shows at u = X/Z, v = Y/Z (normalised); with
 * the body at depth T_z + w_z ~ T_z, u_i T_z - T_x = w_x,i and v_i T_z - T_y = w_y,i for every landmark
 * used, which least squares solves in closed form: the body's size in metres against its size in the
 * image gives its distance. `use[i]` false leaves landmark i out (not visible). Returns [T_x, T_y, T_z]
 * in MediaPipe's axes, or null when the landmarks do not fix a distance (all on one point, or behind the
 * camera). A guess as good as the assumed field of view: the distance scales with 1 / tan(hfov / 2).
 */
export function bodyPosition(
  world: ArrayLike<number>,
  image: ArrayLike<number>,
  aspect: number,
  hfovDeg = 60,
  use?: (i: number) => boolean,
): [number, number, number] | null {
  const k = 2 * Math.tan((hfovDeg * Math.PI) / 360);
  let n = 0;
  let mu = 0;
  let mv = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < MEDIAPIPE_JOINTS; i++) {
    if (use && !use(i)) continue;
    n++;
    mu += (image[i * 3] - 0.5) * k;
    mv += ((image[i * 3 + 1] - 0.5) * k) / aspect;
    mx += world[i * 3];
    my += world[i * 3 + 1];
  }
  if (n < 2) return null;
  mu /= n;
  mv /= n;
  mx /= n;
  my /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < MEDIAPIPE_JOINTS; i++) {
    if (use && !use(i)) continue;
    const du = (image[i * 3] - 0.5) * k - mu;
    const dv = ((image[i * 3 + 1] - 0.5) * k) / aspect - mv;
    num += du * (world[i * 3] - mx) + dv * (world[i * 3 + 1] - my);
    den += du * du + dv * dv;
  }
  if (den < 1e-12) return null;
  const tz = num / den;
  if (!(tz > 0) || !Number.isFinite(tz)) return null;
  return [mu * tz - mx, mv * tz - my, tz];
}
