// Keypoints of one pose estimator's layout as the joints of another, by body point: COCO-17 (YOLO-pose,
// RTMPose, MMPose, MoveNet), OpenPose COCO-18 and BODY_25, MediaPipe Pose's 33 landmarks and Penn Action's
// 13 joints name the same points of the body (a left shoulder is a left shoulder); a joint one layout has
// and another lacks is made from others where that is plain (the head: the mean of the face points; the
// neck: the mid-shoulders; the mid-hips), and otherwise the conversion does not exist and says which
// joints are missing. No Node import: it runs in the browser too.
//
// Coordinates are not touched: the points are picked (or averaged) as they come, in the units and axes
// the model was trained on (penn13: image pixels or any multiple of them, y down, as estimators give them;
// the model's preprocessing removes position and size).
//
// Missing points. Estimators and COCO-style files mark a point they did not find as (0, 0) (OpenPose and
// COCO annotations: (0, 0, 0)); a point whose coordinates are all 0 is taken as missing. A joint made only
// of missing points takes the position of its nearest present ancestor in the target's tree (a missing
// wrist sits on its elbow), or the mean of the body's present joints; a body with no present joint is
// absent (all zeros), as everywhere else. The model never sees (0, 0) as a position: caches cannot mark a
// single joint missing, and the training data have a position for every joint.
//
// Shapes: a body is [J_from * 3] in, [J_to * 3] out; frames [T, B, J_from, 3] -> [T, B, J_to, 3].
import { getLayout, type LayoutName } from './layouts.js';

/** Layouts whose joints the conversion knows by body point. */
export const KEYPOINT_SOURCES = ['coco17', 'openpose18', 'openpose25', 'mediapipe33', 'penn13'] as const;
/** Layouts a model may have for the conversion to give it their joints. */
export const KEYPOINT_TARGETS = ['penn13', 'coco17', 'openpose18', 'openpose25'] as const;

type KeypointLayout = (typeof KEYPOINT_SOURCES)[number];

function isKeypointLayout(name: string, list: readonly string[]): name is KeypointLayout {
  return list.includes(name);
}

/** OpenPose's joint names as body points: 'LShoulder' -> 'left_shoulder', 'MidHip' -> 'mid_hip'. */
function openposePoint(name: string): string {
  const m = /^([LR])([A-Z].*)$/.exec(name);
  const base = (m ? m[2] : name).replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return m ? `${m[1] === 'L' ? 'left' : 'right'}_${base}` : base;
}

/** The body point of each joint of a keypoint layout (COCO's names; the others' turned into them). */
function bodyPoints(layout: KeypointLayout): readonly string[] {
  const joints = getLayout(layout).joints;
  return layout === 'openpose18' || layout === 'openpose25' ? joints.map(openposePoint) : joints;
}

/** Points a layout may lack, made from others: the mean of those it has. */
const DERIVED: Readonly<Record<string, readonly string[]>> = {
  head: ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear'],
  neck: ['left_shoulder', 'right_shoulder'],
  mid_hip: ['left_hip', 'right_hip'],
};

/** One layout's joints as another's: for each target joint, the source joints averaged. */
export interface KeypointMap {
  readonly from: string;
  readonly to: string;
  readonly sourceJoints: number;
  readonly targetJoints: number;
  /** Source joints of target joint j: sources[starts[j] .. starts[j + 1]). */
  readonly sources: Int32Array;
  readonly starts: Int32Array;
  /** The target's tree (parent of each joint, -1 for the root), for missing joints. */
  readonly parents: readonly number[];
}

/**
 * The conversion from layout `from` to layout `to` by body point; `{ lacking }` (the target's joint
 * names) when `from` has no point for some of them; null when either is not a keypoint layout.
 */
export function keypointMap(from: string, to: string): KeypointMap | { lacking: string[] } | null {
  if (!isKeypointLayout(from, KEYPOINT_SOURCES) || !isKeypointLayout(to, KEYPOINT_TARGETS)) return null;
  const have = new Map(bodyPoints(from).map((p, j) => [p, j]));
  const target = getLayout(to as LayoutName);
  const lists: number[][] = [];
  const lacking: string[] = [];
  bodyPoints(to).forEach((point, j) => {
    const direct = have.get(point);
    const parts = DERIVED[point]?.map((p) => have.get(p));
    if (direct !== undefined) lists.push([direct]);
    else if (parts?.every((k) => k !== undefined)) lists.push(parts as number[]);
    else lacking.push(target.joints[j]);
  });
  if (lacking.length > 0) return { lacking };
  const starts = new Int32Array(lists.length + 1);
  lists.forEach((l, j) => {
    starts[j + 1] = starts[j] + l.length;
  });
  return {
    from,
    to,
    sourceJoints: getLayout(from).joints.length,
    targetJoints: target.joints.length,
    sources: Int32Array.from(lists.flat()),
    starts,
    parents: target.parents,
  };
}

// The mean of a body's present joints (scratch: no allocation per frame).
const MEAN = new Float64Array(3);

function missing(v: Float32Array, at: number): boolean {
  return v[at] === 0 && v[at + 1] === 0 && v[at + 2] === 0;
}

/**
 * One body: src[srcBase .. + J_from*3) -> out[outBase .. + J_to*3). `present` is scratch of J_to values
 * (the conversion runs per frame: no allocation).
 */
export function keypointBodyTo(
  map: KeypointMap,
  src: Float32Array,
  srcBase: number,
  out: Float32Array,
  outBase: number,
  present: Uint8Array,
): void {
  const J = map.targetJoints;
  let found = 0;
  MEAN.fill(0);
  for (let j = 0; j < J; j++) {
    const o = outBase + j * 3;
    let n = 0;
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 0;
    for (let k = map.starts[j]; k < map.starts[j + 1]; k++) {
      const i = srcBase + map.sources[k] * 3;
      if (missing(src, i)) continue;
      n++;
      out[o] += src[i];
      out[o + 1] += src[i + 1];
      out[o + 2] += src[i + 2];
    }
    present[j] = n > 0 ? 1 : 0;
    if (n === 0) continue;
    for (let c = 0; c < 3; c++) {
      out[o + c] /= n;
      MEAN[c] += out[o + c];
    }
    found++;
  }
  if (found === J) return;
  if (found === 0) {
    out.fill(0, outBase, outBase + J * 3); // nobody: an absent body
    return;
  }
  for (let j = 0; j < J; j++) {
    if (present[j]) continue;
    let a = map.parents[j];
    while (a >= 0 && !present[a]) a = map.parents[a];
    const o = outBase + j * 3;
    for (let c = 0; c < 3; c++) out[o + c] = a >= 0 ? out[outBase + a * 3 + c] : MEAN[c] / found;
  }
}

/**
 * Frames [T, B, J_from, 3] -> [T, B, J_to, 3] (into `out` when it holds at least T*B*J_to*3 values;
 * the result is then a view on it). `present`: scratch of J_to values, reused by callers that convert often.
 */
export function keypointFramesTo(
  map: KeypointMap,
  raw: Float32Array,
  T: number,
  B: number,
  out?: Float32Array,
  present = new Uint8Array(map.targetJoints),
): Float32Array {
  const Js = map.sourceJoints;
  const Jt = map.targetJoints;
  if (raw.length < T * B * Js * 3)
    throw new RangeError(`keypoints have ${raw.length} values, expected T*B*${Js}*3 = ${T * B * Js * 3} (${map.from})`);
  const n = T * B * Jt * 3;
  const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
  for (let k = 0; k < T * B; k++) keypointBodyTo(map, raw, k * Js * 3, dst, k * Jt * 3, present);
  return dst;
}
