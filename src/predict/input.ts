// Request frames -> model input. Skeleton models (metadata with a joint layout) take joints and get the
// model's own preprocessing (src/data/preprocess.ts, the trainer's code); other models take raw rows.
// One pass over the JSON arrays checks every element and writes it into a Float32Array; each error names
// the element: "frames[3] has 17 joints, the model expects 25 (layout ntu25)".
//
// Shapes: T = frames, B = the model's bodies, J = joints per body, D = input_size.
//   skeleton request  T x J x 3 (one body) or T x B' x J x 3 (B' <= B; missing bodies are absent); 2D
//                     models: points [x, y] or [x, y, score] (a low score makes the point missing)
//   raw request       T x D
//   output x          Float32Array [T, D]
import { inputDims, parsePreprocessConfig, preprocessSequence } from '../data/preprocess.js';
import { gatherFrames, sampleSegments } from '../data/sampling.js';
import type { ModelContract } from '../onnx/metadata.js';
import { ApiError, errors } from './errors.js';
import type { InputSpec } from './input-spec.js';
import type { LayoutConversion } from './layout-conversion.js';
import { DEFAULT_MIN_SCORE, dropLowScore } from './point-options.js';

export interface SequenceInput {
  x: Float32Array; // [T, D]
  T: number;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)})`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function shapeError(field: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError('invalid_shape', `${field} ${message}`, { field, ...extra });
}

// Field names ("frames[3][12]") are built only for an error: the checks run on every frame of every
// stream message, and one string per joint was most of what a frame allocated.

/**
 * Writes list[0..n) at out[offset]; returns the index of the first value that is not a number finite in
 * float32 (1e39 is finite in JSON's float64 but Infinity in the model's float32), or -1.
 */
function writeNumbers(list: unknown[], n: number, out: Float32Array, offset: number): number {
  for (let i = 0; i < n; i++) {
    const v = list[i];
    if (!isFloat32Finite(v)) return i;
    out[offset + i] = v;
  }
  return -1;
}

/** A number that stays finite as float32 (|v| < 3.4e38 once rounded). */
export function isFloat32Finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(Math.fround(v));
}

/** The error for a value isFloat32Finite refused, at `field`. */
export function numberError(v: unknown, field: string): ApiError {
  if (typeof v !== 'number')
    return new ApiError('invalid_field', `${field} is ${describe(v)}, expected a number`, field);
  if (Number.isFinite(v)) {
    return new ApiError('non_finite_value', `${field} is ${v}, outside the float32 range (|v| <= 3.4e38)`, field);
  }
  return errors.nonFinite(field, v);
}

function readBody(
  body: unknown,
  J: number,
  dims: 2 | 3,
  minScore: number,
  layout: string,
  out: Float32Array,
  offset: number,
  field: () => string,
): void {
  if (!Array.isArray(body)) throw shapeError(field(), `is ${describe(body)}, expected a list of ${J} joints [x, y, z]`);
  if (body.length !== J) {
    throw shapeError(field(), `has ${body.length} joints, the model expects ${J} (layout ${layout})`, {
      expected: J,
      got: body.length,
    });
  }
  for (let j = 0; j < J; j++) {
    const joint = body[j];
    const at = offset + j * 3;
    if (Array.isArray(joint) && joint.length === 3) {
      const bad = writeNumbers(joint, 3, out, at);
      if (bad >= 0) throw numberError(joint[bad], `${field()}[${j}][${bad}]`);
      if (dims === 2) {
        dropLowScore(out, at, out[at + 2], minScore); // [x, y, score]
        out[at + 2] = 0;
      }
      continue;
    }
    if (dims === 2 && Array.isArray(joint) && joint.length === 2) {
      const bad = writeNumbers(joint, 2, out, at);
      if (bad >= 0) throw numberError(joint[bad], `${field()}[${j}][${bad}]`);
      out[at + 2] = 0;
      continue;
    }
    const f = `${field()}[${j}]`;
    const want = dims === 2 ? '[x, y] or [x, y, score]' : '[x, y, z]';
    if (!Array.isArray(joint)) throw shapeError(f, `is ${describe(joint)}, expected a joint ${want}`);
    const values = dims === 2 ? '2 (x, y) or 3 (x, y, score)' : '3 (x, y, z)';
    throw shapeError(f, `has ${joint.length} values, expected ${values}`, {
      expected: dims,
      got: joint.length,
    });
  }
}

/** n values: a view on `into` when it is large enough (a caller's reused buffer), else a new array. */
function valuesBuffer(n: number, into?: Float32Array): Float32Array {
  return into && into.length >= n ? into.subarray(0, n) : new Float32Array(n);
}

/** At least 1 and at most maxFrames frames (empty_sequence, too_many_frames). */
export function checkLength(frames: unknown[], field: string, maxFrames: number): void {
  if (frames.length === 0)
    throw new ApiError('empty_sequence', `${field} is empty; a sequence needs at least 1 frame`, field);
  if (frames.length > maxFrames) {
    throw errors.tooManyFrames(field, field, frames.length, maxFrames);
  }
}

/** Skeleton frames -> raw joints [T, B, J, 3] (absent bodies zero), not yet preprocessed. */
function readSkeleton(
  frames: unknown[],
  spec: Extract<InputSpec, { kind: 'skeleton' }>,
  field: string,
  into: Float32Array | undefined,
  minScore: number,
): Float32Array {
  const { bodies: B, joints: J, dims, layout } = spec;
  const T = frames.length;
  const first = frames[0];
  const expected = `T x ${J} x 3 (one body) or T x bodies x ${J} x 3`;
  if (!Array.isArray(first) || first.length === 0) {
    throw shapeError(`${field}[0]`, `is ${describe(first)}, expected joints (${expected})`);
  }
  const multi = Array.isArray(first[0]) && Array.isArray(first[0][0]);
  if (!Array.isArray(first[0])) {
    throw shapeError(`${field}[0]`, `is a row of numbers, but the model takes joints of layout ${layout}: ${expected}`);
  }
  const raw = valuesBuffer(T * B * J * 3, into).fill(0); // absent bodies stay zero
  for (let t = 0; t < T; t++) {
    const frame = frames[t];
    const f = () => `${field}[${t}]`;
    const base = t * B * J * 3;
    if (!multi) {
      readBody(frame, J, dims, minScore, layout, raw, base, f);
      continue;
    }
    if (!Array.isArray(frame)) throw shapeError(f(), `is ${describe(frame)}, expected a list of bodies (${expected})`);
    if (frame.length > B)
      throw shapeError(f(), `has ${frame.length} bodies, the model takes at most ${B}`, {
        expected: B,
        got: frame.length,
      });
    for (let b = 0; b < frame.length; b++)
      readBody(frame[b], J, dims, minScore, layout, raw, base + b * J * 3, () => `${f()}[${b}]`);
  }
  return raw;
}

function readRaw(frames: unknown[], D: number, field: string, into?: Float32Array): Float32Array {
  const x = valuesBuffer(frames.length * D, into);
  for (let t = 0; t < frames.length; t++) {
    const row = frames[t];
    const f = () => `${field}[${t}]`;
    if (!Array.isArray(row)) throw shapeError(f(), `is ${describe(row)}, expected a row of ${D} numbers`);
    if (row.length !== D)
      throw shapeError(f(), `has ${row.length} values, the model expects ${D} per frame`, {
        expected: D,
        got: row.length,
      });
    if (D > 0 && Array.isArray(row[0])) {
      throw shapeError(`${f()}[0]`, `is a list, but the model has no joint layout: frames are rows of ${D} numbers`);
    }
    const bad = writeNumbers(row, D, x, t * D);
    if (bad >= 0) throw numberError(row[bad], `${f()}[${bad}]`);
  }
  return x;
}

/**
 * Checks frames (at least one) against the model: raw joints [T, B, J, 3] for skeleton models (not yet
 * preprocessed: a stream preprocesses frame by frame), rows [T, D] for the others. With `into` (at least
 * T * input_size values, reused by the caller) the result is a view on it. A 2D model's [x, y, score]
 * point scored below `minScore` is missing: (0, 0).
 */
export function readFrames(
  frames: unknown[],
  spec: InputSpec,
  field = 'frames',
  into?: Float32Array,
  minScore = DEFAULT_MIN_SCORE,
): Float32Array {
  return spec.kind === 'raw'
    ? readRaw(frames, spec.inputSize, field, into)
    : readSkeleton(frames, spec, field, into, minScore);
}

/**
 * Checks one sequence's frames against the model and turns them into model input x [T, D]; frames in
 * another layout are read in theirs and converted first (layout-conversion.ts).
 */
export function readSequence(
  frames: unknown[],
  spec: InputSpec,
  maxFrames: number,
  field = 'frames',
  conversion: LayoutConversion | null = null,
  minScore = DEFAULT_MIN_SCORE,
): SequenceInput {
  checkLength(frames, field, maxFrames);
  const raw = conversion
    ? conversion.convert(readFrames(frames, conversion.spec, field, undefined, minScore), frames.length)
    : readFrames(frames, spec, field, undefined, minScore);
  return modelInput(spec, raw, frames.length);
}

/**
 * Checked frames (readFrames' raw joints [T, B, J, 3] or rows [T, D], from JSON or a binary body) -> model
 * input x: the model's own preprocessing, and for segment-sampled models the centre frame of each segment.
 */
export function modelInput(spec: InputSpec, frames: Float32Array, T: number): SequenceInput {
  if (spec.kind === 'raw') return { x: frames, T };
  const x = preprocessSequence(spec.preprocess, frames, T);
  if (!spec.segments) return { x, T };
  // The same sampling as the training evaluation: the centre frame of each of T equal segments.
  return { x: gatherFrames(x, spec.inputSize, sampleSegments(T, spec.segments, null)), T: spec.segments };
}

/** The input a model's contract promises (a skeleton model's checked against the preprocessing it names). */
export function inputSpecOf(m: ModelContract & { input_size: number }): InputSpec {
  if (m.layout === undefined) return { kind: 'raw', inputSize: m.input_size };
  if (!m.preprocessing)
    throw new Error(`has layout '${m.layout}' but no preprocessing metadata; re-export it with \`indrnn export\``);
  const preprocess = parsePreprocessConfig(m.preprocessing);
  const dims = inputDims(preprocess);
  const mismatch = (what: string, meta: number | string | undefined, cfg: number | string) =>
    meta !== undefined && meta !== cfg ? `metadata ${what} ${meta} does not match its preprocessing (${cfg})` : null;
  const problem =
    mismatch('layout', m.layout, preprocess.layout) ??
    mismatch('bodies', m.bodies, dims.bodies) ??
    mismatch('joints', m.joints, dims.joints) ??
    mismatch('input_size', m.input_size, dims.inputSize);
  if (problem) throw new Error(problem);
  return {
    kind: 'skeleton',
    layout: preprocess.layout,
    bodies: dims.bodies,
    joints: dims.joints,
    dims: preprocess.dims ?? 3,
    inputSize: dims.frameSize,
    preprocess,
    segments: m.sampling?.kind === 'segments' ? m.sampling.segments : undefined,
  };
}
