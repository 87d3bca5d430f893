// How a 2D model reads a client's points: the score of an [x, y, score] point (pose estimators' per-point
// confidence) below which the point counts as missing, and the floats per joint of binary frames that carry
// no shape of their own (a stream's binary messages, an HTTP body without X-Frames-Shape). One definition
// for HTTP predict, streams and `indrnn predict` (docs/pose-estimators.md, docs/api.md, docs/streaming.md).
//
// A missing point is written as (0, 0), what estimators write for a point they did not find: the layout
// conversions then place the model joint on its nearest found ancestor (src/data/keypoint-conversion.ts).
import { z } from 'zod';
import { ApiError } from './errors.js';
import type { InputSpec } from './input-spec.js';

/**
 * The default score threshold: below it a 2D point is missing. MMPose's default keypoint threshold; the
 * estimators' own drawing code hides points from 0.05 (OpenPose) to 0.5 (Ultralytics, MediaPipe).
 */
export const DEFAULT_MIN_SCORE = 0.3;

/**
 * The rule of every reader (JSON, the JSON byte reader, binary): a 2D point [x, y, score] scored below
 * `minScore` is missing, (0, 0), as estimators mark an undetected point. `score` as float32 (as stored).
 */
export function dropLowScore(out: Float32Array, at: number, score: number, minScore: number): void {
  if (Math.fround(score) >= minScore) return;
  out[at] = 0;
  out[at + 1] = 0;
}

/** What the `minScore` field means, in the OpenAPI document (a JSON body's field and a query parameter). */
export const MIN_SCORE_TEXT = `2D models: a point [x, y, score] whose score is below this counts as missing, as a point (0, 0) does (0 to 1, default ${DEFAULT_MIN_SCORE}; 0 keeps every point scored 0 or more)`;

export const minScoreFieldSchema = z.number().min(0).max(1).optional().meta({ description: MIN_SCORE_TEXT });

export const channelsFieldSchema = z
  .union([z.literal(2), z.literal(3)])
  .optional()
  .meta({
    description:
      "floats per joint in binary frames: 3 (x, y, z; or x, y, score for a 2D model) or 2 (x, y: 2D models only); default the model's dims (2 for 2D models, 3 otherwise)",
  });

/** Floats per joint of shapeless binary frames when none is said: the model's dims. */
export function defaultChannels(spec: InputSpec): 2 | 3 | null {
  return spec.kind === 'skeleton' ? spec.dims : null;
}

/** `field: ...` refused for a model that takes no 2D points (its third value is z, or it takes rows). */
function not2D(spec: InputSpec, field: string, what: string): ApiError {
  const takes = spec.kind === 'raw' ? 'rows of numbers, not joints' : `3D joints [x, y, z] (layout ${spec.layout})`;
  return new ApiError('invalid_field', `${field}: ${what}; the model takes ${takes}`, field);
}

/** The score threshold a request asks for (`field` names it in errors), checked against the model: 2D models only. */
export function minScoreFor(spec: InputSpec, minScore: number | undefined, field = 'minScore'): number {
  if (minScore === undefined) return DEFAULT_MIN_SCORE;
  if (spec.kind === 'raw' || spec.dims !== 2) throw not2D(spec, field, 'only 2D models read a score per point');
  return minScore;
}

/** The floats per joint a stream asks for (`field` names it), checked against the model: 2 for 2D models only. */
export function channelsFor(spec: InputSpec, channels: 2 | 3 | undefined, field = 'channels'): 2 | 3 | null {
  if (channels === undefined) return defaultChannels(spec);
  if (spec.kind === 'raw') throw not2D(spec, field, "binary frames are rows of the model's input size");
  if (channels === 2 && spec.dims !== 2) throw not2D(spec, field, '2 floats per joint (x, y) are for 2D models');
  return channels;
}
