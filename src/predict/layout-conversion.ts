// Frames in another joint layout than the model's: a request (HTTP predict, a stream's config) that says
// `"layout": "mediapipe33"` for a kinect20 or ntu25 model has its frames read as MediaPipe landmarks and
// turned into the model's joints (src/data/mediapipe.ts) before the model's own preprocessing, so that it
// gets the answer of the same frames converted beforehand. Any other pair is refused, naming `layout`.
//
// Shapes: T = frames, B = the model's bodies, J = the model's joints. Read [T, B, 33, 3] -> [T, B, J, 3].

import { z } from 'zod';
import { isMediapipeTarget, MEDIAPIPE_JOINTS, MEDIAPIPE_TARGETS, mediapipeFramesTo } from '../data/mediapipe.js';
import { FramesScratch } from '../util/scratch.js';
import { ApiError } from './errors.js';
import type { InputSpec } from './input-spec.js';

/** The joint layout of the frames, when it is not the model's (HTTP predict and stream config). */
export const layoutFieldSchema = z.string().min(1).max(64).optional().meta({
  description:
    "joint layout of the frames when it is not the model's: `mediapipe33` (MediaPipe Pose world landmarks, as MediaPipe gives them) for a `kinect20` or `ntu25` model; the server converts them to the model's joints (docs/mediapipe.md)",
});

type SkeletonSpec = Extract<InputSpec, { kind: 'skeleton' }>;

export interface LayoutConversion {
  /** The layout the frames come in. */
  readonly from: string;
  /** How to read (check) them: the model's spec with the source layout's joints. */
  readonly spec: SkeletonSpec;
  /** Values per frame as they come (B * 33 * 3): a binary stream frame's size. */
  readonly frameSize: number;
  /**
   * Raw frames [T, B, 33, 3] -> [T, B, J, 3] in the model's layout: a view on a buffer the conversion owns
   * and reuses (it grows to the largest message), valid until the next call.
   */
  convert(raw: Float32Array, T: number): Float32Array;
}

/**
 * Made once per model input and source layout (requests and stream configs ask per message): all callers
 * use a conversion's output before they convert again, so one buffer serves them all.
 */
const made = new WeakMap<InputSpec, Map<string, LayoutConversion>>();

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
  const target = spec.layout;
  if (layout !== 'mediapipe33' || !isMediapipeTarget(target)) {
    throw new ApiError(
      'invalid_field',
      `${field}: no conversion from ${JSON.stringify(layout)} to the model's layout ${target} ` +
        `(conversions: mediapipe33 -> ${MEDIAPIPE_TARGETS.join(', ')}); send frames in ${target}`,
      { field, from: layout, to: target },
    );
  }
  const bySource = made.get(spec) ?? new Map<string, LayoutConversion>();
  made.set(spec, bySource);
  const cached = bySource.get(layout);
  if (cached) return cached;
  const B = spec.bodies;
  const out = new FramesScratch();
  const conversion: LayoutConversion = {
    from: layout,
    spec: { ...spec, layout, joints: MEDIAPIPE_JOINTS, dims: 3 },
    frameSize: B * MEDIAPIPE_JOINTS * 3,
    convert: (raw, T) => mediapipeFramesTo(target, raw, T, B, out.atLeast(T * spec.inputSize)),
  };
  bySource.set(layout, conversion);
  return conversion;
}
