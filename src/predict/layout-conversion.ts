// Frames in another joint layout than the model's: a request (HTTP predict, a stream's config, `indrnn
// predict --layout`) that says `"layout": "coco17"` has its frames read in that layout and turned into
// the model's joints before the model's own preprocessing, so that it gets the answer of the same frames
// converted beforehand. The conversions, one table:
//   - mediapipe33 -> kinect20, ntu25: MediaPipe's world landmarks placed on the Kinect skeleton
//     (src/data/mediapipe.ts, docs/mediapipe.md);
//   - coco17, openpose18, openpose25, mediapipe33, penn13 -> penn13, coco17, openpose18, openpose25: pose
//     estimators' keypoints by body point, coordinates untouched (src/data/keypoint-conversion.ts).
// Any other pair is refused, naming `layout`, and a pair whose source lacks joints of the target names them.
//
// Shapes: T = frames, B = the model's bodies, J = the model's joints, Jf = the source layout's joints.
// Read [T, B, Jf, 3] -> [T, B, J, 3].

import { z } from 'zod';
import { KEYPOINT_SOURCES, KEYPOINT_TARGETS, keypointFramesTo, keypointMap } from '../data/keypoint-conversion.js';
import { getLayout } from '../data/layouts.js';
import { isMediapipeTarget, MEDIAPIPE_JOINTS, MEDIAPIPE_TARGETS, mediapipeFramesTo } from '../data/mediapipe.js';
import { FramesScratch } from '../util/scratch.js';
import { ApiError } from './errors.js';
import type { InputSpec } from './input-spec.js';

/** The joint layout of the frames, when it is not the model's (HTTP predict and stream config). */
export const layoutFieldSchema = z.string().min(1).max(64).optional().meta({
  description:
    "joint layout of the frames when it is not the model's: `coco17`, `openpose18`, `openpose25` or `mediapipe33` (pose estimators' keypoints as they give them) for a `penn13` model (and between those layouts), or `mediapipe33` (MediaPipe Pose world landmarks) for a `kinect20` or `ntu25` model; the server converts them to the model's joints (docs/pose-estimators.md, docs/mediapipe.md)",
});

type SkeletonSpec = Extract<InputSpec, { kind: 'skeleton' }>;

export interface LayoutConversion {
  /** The layout the frames come in. */
  readonly from: string;
  /** How to read (check) them: the model's spec with the source layout's joints. */
  readonly spec: SkeletonSpec;
  /** Values per frame as they come (B * Jf * 3): a binary stream frame's size. */
  readonly frameSize: number;
  /**
   * Raw frames [T, B, Jf, 3] -> [T, B, J, 3] in the model's layout: a view on a buffer the conversion owns
   * and reuses (it grows to the largest message), valid until the next call.
   */
  convert(raw: Float32Array, T: number): Float32Array;
}

/** A conversion's joints per body as they come, and its work: [T, B, Jf, 3] -> `out` [T, B, J, 3]. */
interface Converter {
  joints: number;
  /** Values per point read (MediaPipe's world landmarks: 3); absent: as the model reads its own frames. */
  dims?: 2 | 3;
  convert(raw: Float32Array, T: number, B: number, out: Float32Array): Float32Array;
}

/** One row of the table: which pairs it converts, for messages, and the converter of a pair (else null). */
interface ConversionKind {
  readonly describe: string;
  make(from: string, to: string): Converter | { lacking: string[] } | null;
}

const CONVERSIONS: readonly ConversionKind[] = [
  {
    describe: `mediapipe33 -> ${MEDIAPIPE_TARGETS.join(', ')}`,
    make: (from, to) =>
      from === 'mediapipe33' && isMediapipeTarget(to)
        ? { joints: MEDIAPIPE_JOINTS, dims: 3, convert: (raw, T, B, out) => mediapipeFramesTo(to, raw, T, B, out) }
        : null,
  },
  {
    describe: `${KEYPOINT_SOURCES.join(', ')} -> ${KEYPOINT_TARGETS.join(', ')} (by body point)`,
    make: (from, to) => {
      const map = keypointMap(from, to);
      if (map === null || 'lacking' in map) return map;
      const present = new Uint8Array(map.targetJoints);
      return {
        joints: map.sourceJoints,
        convert: (raw, T, B, out) => keypointFramesTo(map, raw, T, B, out, present),
      };
    },
  },
];

/** The table for messages: "mediapipe33 -> kinect20, ntu25; coco17, ... -> penn13, ...". */
export const CONVERSIONS_TEXT = CONVERSIONS.map((c) => c.describe).join('; ');

/**
 * Made once per model input and source layout (requests and stream configs ask per message): all callers
 * use a conversion's output before they convert again, so one buffer serves them all.
 */
const made = new WeakMap<InputSpec, Map<string, LayoutConversion>>();

/** The converter from `from` to `to`; an ApiError on `field` when there is none. */
function converter(from: string, to: string, field: string): Converter {
  for (const kind of CONVERSIONS) {
    const c = kind.make(from, to);
    if (c === null) continue;
    if ('lacking' in c) {
      throw new ApiError(
        'invalid_field',
        `${field}: ${JSON.stringify(from)} cannot give the model's layout ${to}: it has no ${c.lacking.join(', ')} ` +
          `(${c.lacking.length} of ${getLayout(to).joints.length} joints); send frames in ${to}`,
        { field, from, to, lacking: c.lacking },
      );
    }
    return c;
  }
  throw new ApiError(
    'invalid_field',
    `${field}: no conversion from ${JSON.stringify(from)} to the model's layout ${to} ` +
      `(conversions: ${CONVERSIONS_TEXT}); send frames in ${to}`,
    { field, from, to },
  );
}

/**
 * The conversion from `layout` to the model's layout; null when no layout is given or it is the model's.
 * `field` names the request's layout field in errors ("layout").
 */
export function layoutConversion(
  spec: InputSpec,
  layout: string | undefined,
  field = 'layout',
): LayoutConversion | null {
  if (layout === undefined) return null;
  if (spec.kind === 'raw') {
    throw new ApiError('invalid_field', `${field}: the model has no joint layout (it takes rows of numbers)`, field);
  }
  if (layout === spec.layout) return null;
  const bySource = made.get(spec) ?? new Map<string, LayoutConversion>();
  const cached = bySource.get(layout);
  if (cached) return cached;
  const c = converter(layout, spec.layout, field);
  made.set(spec, bySource);
  const B = spec.bodies;
  const out = new FramesScratch();
  const conversion: LayoutConversion = {
    from: layout,
    spec: { ...spec, layout, joints: c.joints, dims: c.dims ?? spec.dims },
    frameSize: B * c.joints * 3,
    convert: (raw, T) => c.convert(raw, T, B, out.atLeast(T * spec.inputSize)),
  };
  bySource.set(layout, conversion);
  return conversion;
}
