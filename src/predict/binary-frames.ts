// The one codec of binary float32 frames: HTTP predict bodies (application/octet-stream) and a stream's
// binary messages. The values are float32 little-endian, row-major, in the dimensions the caller read (an
// HTTP body's X-Frames-Shape header, parsed in src/serve/routes/v1.ts):
//   skeleton models  T,J,C (one body) or T,B,J,C (B <= the model's bodies), C = 3 (or 2 for 2D models)
//   raw models       T,D
//   none             T full frames, as in a stream's binary messages: B x J x C joints (absent bodies
//                    zero), C the stream's `channels` (default the model's dims: 3, or 2 for 2D models),
//                    or D raw values
// A 2D model's 3 floats per joint are x, y and a score: a point scored below minScore is missing (0, 0),
// as in JSON (point-options.ts). Checked in one pass into the same raw frames readFrames fills from JSON,
// so that both give the same answer: every dimension is checked against the model and the frame limit
// before anything is allocated, the payload's length against the shape (naming the floats per joint it
// expects), and each value for NaN and infinities, named as in JSON ("frames[3][0][4][0]"). 3D full frames
// are read without allocating values: a view of the payload where it is aligned, else one copy into the
// caller's reused buffer (the stream's hot path, docs/streaming.md); 2D frames are written into that buffer.
import { endianness } from 'node:os';
import type { FramesScratch } from '../util/scratch.js';
import { ApiError, errors } from './errors.js';
import type { InputSpec } from './input-spec.js';
import { DEFAULT_MIN_SCORE, dropLowScore } from './point-options.js';

/** Dimensions given with the payload, and the field they came from (for the errors). */
export interface GivenShape {
  field: string;
  dims: readonly number[];
}

/** How points are read (point-options.ts): absent fields take their defaults. */
export interface PointReading {
  /** Floats per joint of full frames (no given dimensions); default the model's dims. */
  channels?: 2 | 3 | null;
  /** A 2D point [x, y, score] scored below this is missing; default DEFAULT_MIN_SCORE. */
  minScore?: number;
}

/** T frames, each B bodies x J joints x C coordinates (raw models: B = J = 1, C = D). */
interface FramesShape {
  T: number;
  B: number;
  J: number;
  C: number;
  /** 3: T x J x C, 4: T x B x J x C, 2: T x D; 0 without given dimensions (full frames). */
  rank: number;
  raw: boolean;
}

const F32 = 4;
const LITTLE_ENDIAN = endianness() === 'LE';
/** What the messages call the payload, an HTTP body or a stream message alike. */
const PAYLOAD = 'the binary payload';

function shapeError(field: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError('invalid_shape', `${field} ${message}`, { field, ...extra });
}

/** T full frames of the spec (the model's, or the configured layout's) from the payload's length. */
function fullFramesShape(bytes: number, spec: InputSpec, channels: 2 | 3 | null | undefined): FramesShape {
  const raw = spec.kind === 'raw';
  const B = raw ? 1 : spec.bodies;
  const J = raw ? 1 : spec.joints;
  const C = raw ? spec.inputSize : (channels ?? spec.dims);
  if (bytes % F32 !== 0) {
    const message = `${PAYLOAD} has ${bytes} bytes, not a multiple of ${F32} bytes per float32`;
    throw new ApiError('invalid_shape', message, { field: '(body)', got: bytes });
  }
  const floats = bytes / F32;
  const F = B * J * C;
  if (floats % F !== 0) {
    const parts = raw ? '' : ` (${B} ${B === 1 ? 'body' : 'bodies'} x ${J} joints x ${C} floats per joint)`;
    const other = !raw && spec.dims === 2 ? `; 2D frames carry 2 (x, y) or 3 (x, y, score) floats per joint` : '';
    const message = `${PAYLOAD} has ${floats} floats, expected whole frames of ${F} floats${parts}${other}`;
    const details = raw
      ? { field: '(body)', expected: F, got: floats }
      : { field: '(body)', expected: F, got: floats, channels: C };
    throw new ApiError('invalid_shape', message, details);
  }
  return { T: floats / F, B, J, C, rank: 0, raw };
}

/** The frames' shape from the given dimensions (or the payload's length without), checked against the model. */
function framesShape(
  given: GivenShape | undefined,
  bytes: number,
  spec: InputSpec,
  maxFrames: number,
  channels: 2 | 3 | null | undefined,
): FramesShape {
  const shape = given === undefined ? fullFramesShape(bytes, spec, channels) : shapeFromDims(given, spec);
  const field = given?.field ?? '(body)';
  if (shape.T === 0)
    throw new ApiError('empty_sequence', `${PAYLOAD} holds no frame; a sequence needs at least 1`, field);
  if (shape.T > maxFrames) throw errors.tooManyFrames(PAYLOAD, field, shape.T, maxFrames);
  const need = shape.T * shape.B * shape.J * shape.C * F32;
  if (bytes !== need) {
    throw new ApiError(
      'invalid_shape',
      `${PAYLOAD} has ${bytes} bytes, ${field} ${given?.dims.join(',')} needs ${need} (float32 little-endian)`,
      { field: '(body)', expected: need, got: bytes },
    );
  }
  return shape;
}

function shapeFromDims({ field, dims }: GivenShape, spec: InputSpec): FramesShape {
  const [T] = dims;
  if (spec.kind === 'raw') {
    if (dims.length !== 2)
      throw shapeError(field, `has ${dims.length} dimensions; model without a joint layout: T,${spec.inputSize}`);
    if (dims[1] !== spec.inputSize)
      throw shapeError(field, `has ${dims[1]} values per frame, the model expects ${spec.inputSize}`, {
        expected: spec.inputSize,
        got: dims[1],
      });
    return { T, B: 1, J: 1, C: spec.inputSize, rank: 2, raw: true };
  }
  const want = `T,${spec.joints},3 (one body) or T,bodies,${spec.joints},3 (layout ${spec.layout})`;
  if (dims.length === 2) throw shapeError(field, `has 2 dimensions, but the model takes joints: ${want}`);
  const [B, J, C] = dims.length === 3 ? [1, dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  if (B < 1 || B > spec.bodies)
    throw shapeError(field, `has ${B} bodies, the model takes 1 to ${spec.bodies}`, { expected: spec.bodies, got: B });
  if (J !== spec.joints)
    throw shapeError(field, `has ${J} joints, the model expects ${spec.joints} (layout ${spec.layout})`, {
      expected: spec.joints,
      got: J,
    });
  if (C !== 3 && !(C === 2 && spec.dims === 2)) {
    const expected = spec.dims === 2 ? '2 (x, y) or 3 (x, y, score)' : '3 (x, y, z)';
    throw shapeError(field, `has ${C} values per joint, expected ${expected}`, { got: C });
  }
  return { T, B, J, C, rank: dims.length, raw: false };
}

/**
 * The payload's values as float32: a view on a little-endian host when aligned, else one copy (into
 * `into`, a buffer reused from message to message, when given).
 */
function float32Values(payload: Buffer, into?: FramesScratch): Float32Array {
  const n = payload.byteLength / F32;
  const view = alignedView(payload);
  if (view) return view;
  const out = into ? into.take(n) : new Float32Array(n);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer, out.byteOffset, payload.byteLength).set(payload);
  else for (let i = 0; i < n; i++) out[i] = payload.readFloatLE(i * F32);
  return out;
}

/** The payload as float32 without a copy: on a little-endian host when aligned; else null. */
function alignedView(payload: Buffer): Float32Array | null {
  if (!LITTLE_ENDIAN || payload.byteOffset % F32 !== 0) return null;
  return new Float32Array(payload.buffer, payload.byteOffset, payload.byteLength / F32);
}

/** The error for value i of the payload (`v`), named as the JSON field: full frames as T x B x J x C. */
function nonFinite(v: number, i: number, s: FramesShape): ApiError {
  const c = i % s.C;
  const j = Math.floor(i / s.C) % s.J;
  const b = Math.floor(i / (s.C * s.J)) % s.B;
  const t = Math.floor(i / (s.C * s.J * s.B));
  const field = s.raw
    ? `frames[${t}][${c}]`
    : s.rank === 3
      ? `frames[${t}][${j}][${c}]`
      : `frames[${t}][${b}][${j}][${c}]`;
  return errors.nonFinite(field, v);
}

/**
 * A binary payload -> what readFrames gives for the same frames in JSON: raw joints [T, B, J, 3] (bodies
 * not sent and z of 2D joints zero, 2D points scored below `points.minScore` (0, 0)) for skeleton models,
 * rows [T, D] for the others. Without given dimensions the payload is full frames (a stream's binary
 * message) of `points.channels` floats per joint: 3D ones are the layout already, read without allocating
 * values (a view of the payload, or a copy into `into`); 2D ones are written into `into`.
 */
export function readBinaryFrames(
  payload: Buffer,
  given: GivenShape | undefined,
  spec: InputSpec,
  maxFrames: number,
  into?: FramesScratch,
  points: PointReading = {},
): { frames: Float32Array; T: number } {
  const shape = framesShape(given, payload.byteLength, spec, maxFrames, points.channels);
  if (spec.kind === 'raw' || (shape.rank === 0 && spec.dims === 3)) {
    const values = float32Values(payload, into);
    for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) throw nonFinite(values[k], k, shape);
    return { frames: values, T: shape.T };
  }
  const { T, B, J, C } = shape;
  const minScore = points.minScore ?? DEFAULT_MIN_SCORE;
  const scored = spec.dims === 2 && C === 3;
  const keepZ = spec.dims === 3;
  const view = alignedView(payload); // else each value is read from the bytes: `into` holds the frames
  const frameSize = spec.bodies * J * 3;
  const n = T * frameSize;
  const frames = into ? into.take(n).fill(0) : new Float32Array(n); // bodies not sent and 2D z stay zero
  let k = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      let at = t * frameSize + b * J * 3;
      for (let j = 0; j < J; j++, at += 3, k += C) {
        for (let c = 0; c < C; c++) {
          const v = view ? view[k + c] : payload.readFloatLE((k + c) * F32);
          if (!Number.isFinite(v)) throw nonFinite(v, k + c, shape);
          if (c < 2 || keepZ) frames[at + c] = v;
        }
        if (scored) dropLowScore(frames, at, view ? view[k + 2] : payload.readFloatLE((k + 2) * F32), minScore);
      }
    }
  }
  return { frames, T };
}
