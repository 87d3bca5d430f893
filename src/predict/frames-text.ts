// The fast path of a stream's JSON frames message: `{"type": "frames", "frames": [...]}` read straight from
// the message's bytes into the frames buffer, with no JSON.parse (at 1,000 streams x 30 frames/s, parsing
// into nested arrays and numbers was the server's largest cost: docs/streaming.md). It takes only messages
// that are valid JSON of that exact form whose frames the model accepts as they are; for anything else
// (another message type, other keys, escapes, a shape or value the model refuses, more than `maxFrames`
// frames) it answers null and the general path (protocol.ts, predict/input.ts) reads the message and
// names what is wrong. So a message it accepts gives the general path's values bit for bit.
//
// Shapes as predict/input.ts: skeleton frames T x J x dims (one body) or T x B' x J x dims (B' <= B bodies,
// the absent ones zero), out [T, B, J, 3]; raw frames T x D, out [T, D].

import type { FramesScratch } from '../util/scratch.js';
import type { InputSpec } from './input-spec.js';
import { dropLowScore } from './point-options.js';

/** Exact powers of ten (10^0 .. 10^22 are exact doubles). */
const POW10 = [1];
for (let i = 1; i <= 22; i++) POW10.push(POW10[i - 1] * 10);
/** Relative error bound of the number read with more than 2^53 in its digits (a few roundings, with margin). */
const APPROX = 2 ** -48;

enum C {
  Tab = 9,
  Nl = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  E = 69,
  Open = 91,
  Backslash = 92,
  Close = 93,
  e = 101,
  Brace = 123,
  BraceClose = 125,
}

/** Gives up on the fast path: the general path reads the message. */
class NotFast extends Error {}
const NOT_FAST = new NotFast();

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  skip(): number {
    const b = this.bytes;
    let i = this.at;
    while (i < b.length) {
      const c = b[i];
      if (c !== C.Space && c !== C.Nl && c !== C.Cr && c !== C.Tab) break;
      i++;
    }
    this.at = i;
    return i < b.length ? b[i] : -1;
  }

  /** The next non-space byte is c: consumed. */
  expect(c: number): void {
    if (this.skip() !== c) throw NOT_FAST;
    this.at++;
  }

  /** Consumes c when it is next (after spaces); true when it was. */
  take(c: number): boolean {
    if (this.skip() !== c) return false;
    this.at++;
    return true;
  }

  /** A string without escapes or non-ASCII bytes that is one of `words`: its index; NOT_FAST otherwise. */
  word(words: readonly string[]): number {
    this.expect(C.Quote);
    const b = this.bytes;
    const start = this.at;
    let i = start;
    while (i < b.length && b[i] !== C.Quote) {
      if (b[i] === C.Backslash || b[i] >= 0x80) throw NOT_FAST;
      i++;
    }
    if (i >= b.length) throw NOT_FAST;
    this.at = i + 1;
    return words.findIndex((w) => w.length === i - start && matches(b, start, w));
  }

  /** A JSON number as float32 (the value JSON.parse gives, rounded to float32); NOT_FAST unless finite in float32. */
  number(): number {
    const f = Math.fround(this.double(true));
    if (!Number.isFinite(f)) throw NOT_FAST; // the general path names the value
    return f;
  }

  /**
   * A JSON number as JSON.parse reads it (with `forFloat32`, only as close as its float32 rounding needs: a
   * double that rounds to the same float32).
   */
  double(forFloat32 = false): number {
    // Byte values as literals in this loop (it reads every digit of every message): '0' 48, '9' 57, '-' 45,
    // '+' 43, '.' 46, 'e' 101, 'E' 69.
    const b = this.bytes;
    const n = b.length;
    this.skip();
    let i = this.at;
    let c = i < n ? b[i] : -1;
    const negative = c === 45;
    if (negative) c = ++i < n ? b[i] : -1;
    let m = 0;
    let digits = 0; // significant digits in m (leading zeros not counted)
    let exp10 = 0;
    const intStart = i;
    if (c === 48) c = ++i < n ? b[i] : -1;
    else {
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        c = ++i < n ? b[i] : -1;
      }
    }
    if (i === intStart) throw NOT_FAST; // no digit (or a stray '-')
    if (c === 46) {
      c = ++i < n ? b[i] : -1;
      const fracStart = i;
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        if (m > 0) digits++;
        c = ++i < n ? b[i] : -1;
      }
      if (i === fracStart) throw NOT_FAST;
      exp10 = fracStart - i;
    }
    if (c === 101 || c === 69) {
      c = ++i < n ? b[i] : -1;
      const expNegative = c === 45;
      if (c === 43 || c === 45) c = ++i < n ? b[i] : -1;
      const expStart = i;
      let e = 0;
      while (c >= 48 && c <= 57) {
        if (e < 100_000) e = e * 10 + (c - 48);
        c = ++i < n ? b[i] : -1;
      }
      if (i === expStart) throw NOT_FAST;
      exp10 += expNegative ? -e : e;
    }
    this.at = i;
    let v: number;
    if (m === 0) v = 0;
    else if (digits > 19 || exp10 > 22 || exp10 < -22) v = this.exact(intStart, i);
    else {
      v = exp10 >= 0 ? m * POW10[exp10] : m / POW10[-exp10];
      // Up to 2^53 both operands are exact and the one rounding is IEEE's: the double JSON.parse gives.
      // Beyond, v is within APPROX of it: good for float32 when every double that close rounds to the same one.
      if (m > 2 ** 53 && (!forFloat32 || Math.fround(v * (1 - APPROX)) !== Math.fround(v * (1 + APPROX))))
        v = this.exact(intStart, i);
    }
    return negative ? -v : v;
  }

  /** true, false or a number (as JSON.parse reads it); NOT_FAST for anything else. */
  scalar(): number | boolean {
    const c = this.skip();
    if (c === 116 && matches(this.bytes, this.at, 'true')) {
      this.at += 4;
      return true;
    }
    if (c === 102 && matches(this.bytes, this.at, 'false')) {
      this.at += 5;
      return false;
    }
    if (c !== 45 && !(c >= 48 && c <= 57)) throw NOT_FAST; // '-', '0'-'9'
    return this.double();
  }

  /** The number's text (without its sign) parsed as JSON.parse would (rare: long or far-out numbers). */
  private exact(start: number, end: number): number {
    let text = '';
    for (let k = start; k < end; k++) text += String.fromCharCode(this.bytes[k]);
    return Number(text);
  }
}

/** What an object read by readFramesObject holds besides "frames" (each key at most once, in any order). */
export interface FramesObjectShape {
  /** 'frames', 'type', then the scalar fields. */
  readonly keys: readonly string[];
  /** The one word "type" must be (and is required), or null for no "type". */
  readonly type: readonly string[] | null;
}

/** type: a required "type" field's one value, or null; scalars: optional fields holding true, false or a number. */
export function framesObjectShape(type: string | null, scalars: readonly string[] = []): FramesObjectShape {
  return { keys: ['frames', 'type', ...scalars], type: type === null ? null : [type] };
}

const STREAM_MESSAGE = framesObjectShape('frames');

/**
 * A frames message read from its bytes into `scratch` ([T, B, J, 3] or [T, D] as predict/input.ts reads
 * them), or null when the message is not a frames message of a form this reader takes (see the top).
 */
export function readFramesMessage(
  bytes: Uint8Array,
  spec: InputSpec,
  maxFrames: number,
  scratch: FramesScratch,
  minScore: number,
): { frames: Float32Array; T: number } | null {
  return readFramesObject(bytes, spec, maxFrames, scratch, STREAM_MESSAGE, minScore);
}

/**
 * A JSON object {"frames": [...], ...} of `shape` read from its bytes: the frames into `scratch` (valid until
 * its next use), the scalar fields given (null when none was), or null when the object is not of this form
 * or its frames are not ones the model takes as they are (see the top).
 */
export function readFramesObject(
  bytes: Uint8Array,
  spec: InputSpec,
  maxFrames: number,
  scratch: FramesScratch,
  shape: FramesObjectShape,
  /** 2D models: a point [x, y, score] scored below this is missing, (0, 0) (predict/point-options.ts). */
  minScore: number,
): { frames: Float32Array; T: number; scalars: Record<string, number | boolean> | null } | null {
  const frameSize = spec.kind === 'skeleton' ? spec.bodies * spec.joints * 3 : spec.inputSize;
  // Room for the frames the bytes can hold (a joint is at least "[0,0],", a raw value "0,"), not maxFrames'.
  const leastBytes = spec.kind === 'skeleton' ? 6 * spec.joints : 2 * spec.inputSize;
  const out = scratch.atLeast(Math.min(maxFrames, Math.floor(bytes.length / Math.max(1, leastBytes)) + 1) * frameSize);
  const r = new Reader(bytes);
  try {
    r.expect(C.Brace);
    let type = false;
    let T = -1;
    let scalars: Record<string, number | boolean> | null = null;
    do {
      const key = r.word(shape.keys);
      r.expect(C.Colon);
      if (key === 0 && T < 0) T = readFrames(r, spec, maxFrames, out, frameSize, minScore);
      else if (key === 1 && shape.type !== null && !type && r.word(shape.type) === 0) type = true;
      else if (key >= 2 && !(scalars && shape.keys[key] in scalars)) {
        scalars ??= {};
        scalars[shape.keys[key]] = r.scalar();
      } else return null; // another key or type, or a key twice
    } while (r.take(C.Comma));
    r.expect(C.BraceClose);
    if (r.skip() !== -1 || T < 0 || type !== (shape.type !== null)) return null;
    return { frames: out.subarray(0, T * frameSize), T, scalars };
  } catch (e) {
    if (e === NOT_FAST) return null;
    throw e;
  }
}

function matches(b: Uint8Array, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (b[at + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** The frames array; returns T (1 <= T <= maxFrames, else NOT_FAST). */
function readFrames(
  r: Reader,
  spec: InputSpec,
  maxFrames: number,
  out: Float32Array,
  frameSize: number,
  minScore: number,
): number {
  r.expect(C.Open);
  let T = 0;
  if (r.take(C.Close)) throw NOT_FAST; // empty_sequence
  let multi: boolean | null = null;
  do {
    if (T >= maxFrames || (T + 1) * frameSize > out.length) throw NOT_FAST; // too_many_frames (or no room)
    const base = T * frameSize;
    if (spec.kind === 'raw') readRow(r, spec.inputSize, out, base);
    else {
      // One body (T x J x dims) or several (T x B' x J x dims): decided by the first frame, as input.ts does.
      r.expect(C.Open);
      if (multi === null) {
        multi = r.skip() === C.Open && nextIsOpen(r);
      }
      out.fill(0, base, base + frameSize);
      if (!multi) readJoints(r, spec.joints, spec.dims, minScore, out, base);
      else {
        let b = 0;
        if (r.take(C.Close)) throw NOT_FAST;
        do {
          if (b >= spec.bodies) throw NOT_FAST;
          r.expect(C.Open);
          readJoints(r, spec.joints, spec.dims, minScore, out, base + b * spec.joints * 3);
          b++;
        } while (r.take(C.Comma));
        r.expect(C.Close);
      }
    }
    T++;
  } while (r.take(C.Comma));
  r.expect(C.Close);
  return T;
}

/** After a frame's '[' and at a '[': whether the one after it (past spaces) is '[' too (a body, not a joint). */
function nextIsOpen(r: Reader): boolean {
  const at = r.at;
  r.at++;
  const open = r.skip() === C.Open;
  r.at = at;
  return open;
}

/**
 * After a body's '[': J joints of `dims` (or 3) values and the closing ']'. For 2D a third value is a score:
 * below `minScore` the point is missing, (0, 0), compared as float32 as predict/input.ts stores it.
 */
function readJoints(r: Reader, J: number, dims: 2 | 3, minScore: number, out: Float32Array, at: number): void {
  for (let j = 0; j < J; j++) {
    if (j > 0) r.expect(C.Comma);
    r.expect(C.Open);
    const o = at + j * 3;
    out[o] = r.number();
    r.expect(C.Comma);
    out[o + 1] = r.number();
    if (r.take(C.Comma)) {
      const z = r.number();
      if (dims === 3) out[o + 2] = z;
      else dropLowScore(out, o, z, minScore);
    } else if (dims === 3) throw NOT_FAST;
    r.expect(C.Close);
  }
  r.expect(C.Close);
}

/** A raw row of D numbers. */
function readRow(r: Reader, D: number, out: Float32Array, at: number): void {
  r.expect(C.Open);
  for (let i = 0; i < D; i++) {
    if (i > 0) r.expect(C.Comma);
    out[at + i] = r.number();
  }
  r.expect(C.Close);
}
