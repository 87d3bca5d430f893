// Binary predict bodies (Content-Type: application/octet-stream) for high-rate clients: the frames of one
// sequence as float32 little-endian values, row-major, shaped by the X-Frames-Shape header:
//   skeleton models  "T,J,C" (one body) or "T,B,J,C" (B <= the model's bodies), C = 3 (or 2 for 2D models)
//   raw models       "T,D"
//   no header        T full frames of the stream's binary messages: B x J x 3 joints (absent bodies zero),
//                    or D raw values
// Checked in one pass into the same raw buffer readFrames fills from JSON, so that both give the same
// answer: every dimension is checked against the model and --max-frames before anything is allocated, the
// body's length against the shape, and each value for NaN and infinities, named as in JSON ("frames[3][4][0]").
import { endianness } from 'node:os';
import { ApiError, errors } from './errors.js';
import type { InputSpec } from './input.js';

export const FRAMES_SHAPE_HEADER = 'X-Frames-Shape';

/** The frames' dimensions: T frames, each B bodies x J joints x C coordinates (raw models: B = J = 1, C = D). */
interface FramesShape {
  T: number;
  B: number;
  J: number;
  C: number;
  /** 3: T x J x C, 4: T x B x J x C, 2: T x D; 0 when there was no header (full frames). */
  rank: number;
}

const SHAPE_TEXT = /^\s*\d{1,9}\s*(,\s*\d{1,9}\s*){1,3}$/;
const F32 = 4;
const LITTLE_ENDIAN = endianness() === 'LE';

function shapeError(message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError('invalid_shape', `${FRAMES_SHAPE_HEADER} ${message}`, { field: FRAMES_SHAPE_HEADER, ...extra });
}

/** The frames' shape from the header (or the body's length without one), checked against the model. */
function framesShape(header: string | undefined, bytes: number, spec: InputSpec, maxFrames: number): FramesShape {
  const full =
    spec.kind === 'raw'
      ? { B: 1, J: 1, C: spec.inputSize }
      : { B: spec.bodies, J: spec.joints, C: 3 }; /* the stream's binary frames */
  let shape: FramesShape;
  if (header === undefined) {
    const frameBytes = full.B * full.J * full.C * F32;
    if (bytes % frameBytes !== 0) {
      throw new ApiError(
        'invalid_shape',
        `the body has ${bytes} bytes, not a multiple of one frame (${frameBytes / F32} float32 = ${frameBytes} bytes); send ${FRAMES_SHAPE_HEADER} for other shapes`,
        '(body)',
      );
    }
    shape = { T: bytes / frameBytes, ...full, rank: 0 };
  } else {
    if (!SHAPE_TEXT.test(header)) {
      throw new ApiError(
        'invalid_field',
        `${FRAMES_SHAPE_HEADER} is '${header.slice(0, 40)}', expected 2 to 4 comma-separated dimensions (e.g. 20,25,3)`,
        FRAMES_SHAPE_HEADER,
      );
    }
    const dims = header.split(',').map(Number);
    shape = shapeFromDims(dims, spec);
  }
  if (shape.T === 0)
    throw new ApiError('empty_sequence', 'the binary frames hold no frame; a sequence needs at least 1', field(shape));
  if (shape.T > maxFrames) throw errors.tooManyFrames('the binary body', field(shape), shape.T, maxFrames);
  const need = shape.T * shape.B * shape.J * shape.C * F32;
  if (bytes !== need) {
    throw new ApiError(
      'invalid_shape',
      `the body has ${bytes} bytes, ${FRAMES_SHAPE_HEADER} ${shape.T},${shape.rank === 4 ? `${shape.B},` : ''}${shape.rank === 2 ? '' : `${shape.J},`}${shape.C} needs ${need} (float32 little-endian)`,
      { field: '(body)', expected: need, got: bytes },
    );
  }
  return shape;
}

const field = (shape: FramesShape) => (shape.rank === 0 ? '(body)' : FRAMES_SHAPE_HEADER);

function shapeFromDims(dims: number[], spec: InputSpec): FramesShape {
  const [T] = dims;
  if (spec.kind === 'raw') {
    if (dims.length !== 2)
      throw shapeError(`has ${dims.length} dimensions; model without a joint layout: T,${spec.inputSize}`);
    if (dims[1] !== spec.inputSize)
      throw shapeError(`has ${dims[1]} values per frame, the model expects ${spec.inputSize}`, {
        expected: spec.inputSize,
        got: dims[1],
      });
    return { T, B: 1, J: 1, C: spec.inputSize, rank: 2 };
  }
  const want = `T,${spec.joints},3 (one body) or T,bodies,${spec.joints},3 (layout ${spec.layout})`;
  if (dims.length === 2) throw shapeError(`has 2 dimensions, but the model takes joints: ${want}`);
  const [B, J, C] = dims.length === 3 ? [1, dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  if (B < 1 || B > spec.bodies)
    throw shapeError(`has ${B} bodies, the model takes 1 to ${spec.bodies}`, { expected: spec.bodies, got: B });
  if (J !== spec.joints)
    throw shapeError(`has ${J} joints, the model expects ${spec.joints} (layout ${spec.layout})`, {
      expected: spec.joints,
      got: J,
    });
  if (C !== 3 && !(C === 2 && spec.dims === 2))
    throw shapeError(`has ${C} values per joint, expected ${spec.dims === 2 ? '2 (x, y) or 3' : '3 (x, y, z)'}`, {
      got: C,
    });
  return { T, B, J, C, rank: dims.length };
}

/** The body's values as float32: a view on a little-endian host when aligned, else a copy. */
function float32Values(body: Buffer): Float32Array {
  const n = body.byteLength / F32;
  if (LITTLE_ENDIAN && body.byteOffset % F32 === 0) return new Float32Array(body.buffer, body.byteOffset, n);
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(body);
  else for (let i = 0; i < n; i++) out[i] = body.readFloatLE(i * F32);
  return out;
}

/** The JSON field name of value i of the body (only for an error). */
function valueField(i: number, s: FramesShape): string {
  if (s.rank === 2 || (s.rank === 0 && s.J === 1)) return `frames[${Math.floor(i / s.C)}][${i % s.C}]`;
  const c = i % s.C;
  const j = Math.floor(i / s.C) % s.J;
  const b = Math.floor(i / (s.C * s.J)) % s.B;
  const t = Math.floor(i / (s.C * s.J * s.B));
  return s.rank === 3 ? `frames[${t}][${j}][${c}]` : `frames[${t}][${b}][${j}][${c}]`;
}

/**
 * A binary body -> what readFrames gives for the same frames in JSON: raw joints [T, B, J, 3] (bodies not
 * sent and z of 2D joints zero) for skeleton models, rows [T, D] for the others.
 */
export function readBinaryFrames(
  body: Buffer,
  shapeHeader: string | undefined,
  spec: InputSpec,
  maxFrames: number,
): { frames: Float32Array; T: number } {
  const shape = framesShape(shapeHeader, body.byteLength, spec, maxFrames);
  const values = float32Values(body);
  const bad = (k: number) => errors.nonFinite(valueField(k, shape), values[k]);
  if (spec.kind === 'raw' || shape.rank === 0) {
    for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k])) throw bad(k);
    return { frames: values, T: shape.T }; // already the layout
  }
  const { T, B, J, C } = shape;
  const frameSize = spec.bodies * J * 3;
  const frames = new Float32Array(T * frameSize); // bodies not sent and 2D z stay zero
  let k = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      let at = t * frameSize + b * J * 3;
      for (let j = 0; j < J; j++, at += 3) {
        for (let c = 0; c < C; c++, k++) {
          const v = values[k];
          if (!Number.isFinite(v)) throw bad(k);
          frames[at + c] = v;
        }
      }
    }
  }
  return { frames, T };
}
