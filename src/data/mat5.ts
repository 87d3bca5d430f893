// MATLAB 5 MAT-files (also what `save -v6` and `-v7` write; not -v7.3, which is HDF5): the variables of
// a file, as numbers or text. Enough for data sets distributed as .mat label files (Penn Action).
//
// A file is a 128-byte header (text, then version 0x0100 and the endian indicator: the bytes "IM" for a
// little-endian writer, "MI" for a big-endian one), then data elements, each a tag (u32 type, u32 byte
// count; or one u32 holding both for up to 4 bytes of "small" data) and its data, padded to 8 bytes.
// A variable is a miMATRIX element (flags with the class, dimensions, name, then the real part), or a
// miCOMPRESSED element holding a zlib stream of one (MATLAB compresses every variable since v7). The
// numbers of a matrix may be stored in a smaller type than its class (a double array of small integers
// as miUINT8): they are read as stored and given as float64. Arrays are column-major: element (i, j) of
// an M x N array is data[j * M + i].
//
// The file is not trusted: every length is checked against the bytes that hold it before anything is
// allocated from it, inflated data is bounded (maxBytes), and errors name the file and the variable.
import { constants, inflateSync } from 'node:zlib';

export type MatClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64';

export type MatVariable =
  | { kind: 'numeric'; name: string; class: MatClass; dims: number[]; data: Float64Array; logical: boolean }
  | { kind: 'char'; name: string; dims: number[]; text: string }
  /** A cell array, struct, sparse matrix, complex array...: known by name and class, not read. */
  | { kind: 'unsupported'; name: string; what: string; dims: number[] };

/** Largest inflated variable (bytes) unless the caller says otherwise. */
export const MAT_MAX_VARIABLE_BYTES = 256 * 1024 * 1024;

const HEADER_BYTES = 128;
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

/** Bytes per value and reader of each numeric storage type. */
const NUMBER_TYPES: Record<number, { size: number; get: (v: DataView, at: number, le: boolean) => number }> = {
  [MI.INT8]: { size: 1, get: (v, at) => v.getInt8(at) },
  [MI.UINT8]: { size: 1, get: (v, at) => v.getUint8(at) },
  [MI.INT16]: { size: 2, get: (v, at, le) => v.getInt16(at, le) },
  [MI.UINT16]: { size: 2, get: (v, at, le) => v.getUint16(at, le) },
  [MI.INT32]: { size: 4, get: (v, at, le) => v.getInt32(at, le) },
  [MI.UINT32]: { size: 4, get: (v, at, le) => v.getUint32(at, le) },
  [MI.SINGLE]: { size: 4, get: (v, at, le) => v.getFloat32(at, le) },
  [MI.DOUBLE]: { size: 8, get: (v, at, le) => v.getFloat64(at, le) },
  [MI.INT64]: { size: 8, get: (v, at, le) => Number(v.getBigInt64(at, le)) },
  [MI.UINT64]: { size: 8, get: (v, at, le) => Number(v.getBigUint64(at, le)) },
};

/** mxCLASS ids: numeric classes by name; the others named for messages. */
const NUMERIC_CLASSES: Record<number, MatClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const CHAR_CLASS = 4;
const OTHER_CLASSES: Record<number, string> = { 1: 'cell array', 2: 'struct', 3: 'object', 5: 'sparse matrix' };
const COMPLEX_FLAG = 0x800;
const LOGICAL_FLAG = 0x200;

export class MatFileError extends RangeError {}

/** One data element: its type and where its data lies in `view`. */
interface Element {
  type: number;
  start: number;
  bytes: number;
  /** Where the next element starts. */
  next: number;
}

class Reader {
  constructor(
    readonly view: DataView,
    readonly le: boolean,
    readonly fail: (message: string) => never,
  ) {}

  /** The element whose tag is at `at`, inside [at, end). Sub-elements of a matrix are padded to 8 bytes. */
  element(at: number, end: number, what: string, pad = true): Element {
    if (at + 8 > end) this.fail(`${what}: the file ends inside its tag (at byte ${at}; truncated?)`);
    const first = this.view.getUint32(at, this.le);
    if (first >>> 16 !== 0) {
      const bytes = first >>> 16;
      if (bytes > 4) this.fail(`${what}: a small element of ${bytes} bytes (at most 4)`);
      return { type: first & 0xffff, start: at + 4, bytes, next: at + 8 };
    }
    const bytes = this.view.getUint32(at + 4, this.le);
    if (bytes > end - at - 8)
      this.fail(`${what}: ${bytes} bytes of data, but only ${end - at - 8} are left (at byte ${at}; truncated?)`);
    // Padding counts from the tag: an element may start anywhere (after a compressed one, unpadded).
    const next = at + 8 + (pad ? Math.ceil(bytes / 8) * 8 : bytes);
    return { type: first, start: at + 8, bytes, next: Math.min(end, next) };
  }

  int32s(e: Element, what: string): number[] {
    if (e.type !== MI.INT32 || e.bytes % 4 !== 0) this.fail(`${what}: expected int32 values (type ${e.type})`);
    return Array.from({ length: e.bytes / 4 }, (_, i) => this.view.getInt32(e.start + i * 4, this.le));
  }

  text(e: Element, what: string): string {
    const bytes = new Uint8Array(this.view.buffer, this.view.byteOffset + e.start, e.bytes);
    if (e.type === MI.INT8 || e.type === MI.UINT8 || e.type === MI.UTF8) return Buffer.from(bytes).toString('utf8');
    const size = e.type === MI.UINT16 || e.type === MI.UTF16 ? 2 : e.type === MI.UTF32 || e.type === MI.UINT32 ? 4 : 0;
    if (size === 0) return this.fail(`${what}: text stored as type ${e.type}`);
    let s = '';
    for (let at = e.start; at + size <= e.start + e.bytes; at += size) {
      const c = size === 2 ? this.view.getUint16(at, this.le) : this.view.getUint32(at, this.le);
      s += String.fromCodePoint(c <= 0x10ffff ? c : 0xfffd);
    }
    return s;
  }

  numbers(e: Element, count: number, what: string): Float64Array {
    const t = NUMBER_TYPES[e.type];
    if (!t) this.fail(`${what}: numbers stored as type ${e.type}, not a numeric type`);
    if (e.bytes !== count * t.size)
      this.fail(
        `${what}: ${e.bytes} bytes of data for ${count} values of ${t.size} bytes (dimensions and data disagree)`,
      );
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = t.get(this.view, e.start + i * t.size, this.le);
    return out;
  }
}

/** The variable in a miMATRIX element's data [start, end). */
function readMatrix(r: Reader, start: number, end: number, index: number): MatVariable {
  const where = `variable ${index + 1}`;
  const flagsEl = r.element(start, end, `${where}: array flags`);
  if (flagsEl.type !== MI.UINT32 || flagsEl.bytes !== 8) r.fail(`${where}: array flags are not 2 uint32 values`);
  const flags = r.view.getUint32(flagsEl.start, r.le);
  const cls = flags & 0xff;
  const dimsEl = r.element(flagsEl.next, end, `${where}: dimensions`);
  const dims = r.int32s(dimsEl, `${where}: dimensions`);
  if (dims.length < 2 || dims.some((d) => d < 0)) r.fail(`${where}: dimensions [${dims}] (at least 2, none negative)`);
  const nameEl = r.element(dimsEl.next, end, `${where}: name`);
  const name = r.text(nameEl, `${where}: name`);
  const what = `variable '${name}'`;
  const count = dims.reduce((a, b) => a * b, 1);
  const numeric = NUMERIC_CLASSES[cls];
  if (cls === CHAR_CLASS) {
    const dataEl = r.element(nameEl.next, end, `${what}: text`);
    const chars = [...r.text(dataEl, what)];
    if (chars.length !== count) r.fail(`${what}: ${chars.length} characters for dimensions [${dims}]`);
    // Column-major: row i is chars[i], chars[i + M], ... (a 1 x N text is the string itself).
    const M = dims[0];
    const rows: string[][] = Array.from({ length: M }, () => []);
    for (let k = 0; k < chars.length; k++) rows[k % M].push(chars[k]);
    return { kind: 'char', name, dims, text: rows.map((row) => row.join('')).join('\n') };
  }
  if (!numeric || flags & COMPLEX_FLAG) {
    const kind = numeric ? `complex ${numeric}` : (OTHER_CLASSES[cls] ?? `class ${cls}`);
    return { kind: 'unsupported', name, what: kind, dims };
  }
  const dataEl = r.element(nameEl.next, end, `${what}: data`);
  const data = r.numbers(dataEl, count, what);
  return { kind: 'numeric', name, class: numeric, dims, data, logical: (flags & LOGICAL_FLAG) !== 0 };
}

/**
 * Every variable of a MAT-file (v5 format, compressed or not), in file order. Throws MatFileError naming
 * `source` and the variable. `maxBytes` bounds one variable's inflated size.
 */
export function readMat5(bytes: Uint8Array, source: string, maxBytes = MAT_MAX_VARIABLE_BYTES): MatVariable[] {
  const fail = (message: string): never => {
    throw new MatFileError(`${source}: ${message}`);
  };
  if (bytes.length < HEADER_BYTES) fail(`${bytes.length} bytes, too short for a MAT-file header (128 bytes)`);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, 116).toString('latin1');
  if (head.startsWith('MATLAB 7.3'))
    fail('a MATLAB 7.3 file (HDF5), not read here: save it with -v7 (or read it with h5py / scipy and rewrite it)');
  const endian = Buffer.from(bytes.buffer, bytes.byteOffset + 126, 2).toString('latin1');
  if (!head.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI'))
    fail(`not a MATLAB 5 MAT-file (header '${head.slice(0, 20)}', endian indicator '${endian}')`);
  const le = endian === 'IM';
  const top = new Reader(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), le, fail);
  const out: MatVariable[] = [];
  for (let at = HEADER_BYTES; at < bytes.length; ) {
    const index = out.length;
    // Compressed elements are not padded; MATLAB pads the others (their byte count includes it).
    const e = top.element(at, bytes.length, `variable ${index + 1}`, false);
    at = e.type === MI.COMPRESSED ? e.next : Math.min(bytes.length, e.start + Math.ceil(e.bytes / 8) * 8);
    if (e.type === MI.MATRIX) {
      out.push(readMatrix(top, e.start, e.start + e.bytes, index));
    } else if (e.type === MI.COMPRESSED) {
      let inner: Buffer;
      try {
        // Sync flush: a stream cut short still gives what it holds (some files of Penn Action end
        // their compressed elements early; MATLAB and scipy read them), the matrix is checked whole below.
        inner = inflateSync(bytes.subarray(e.start, e.start + e.bytes), {
          maxOutputLength: maxBytes,
          finishFlush: constants.Z_SYNC_FLUSH,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE')
          return fail(`variable ${index + 1}: inflates to more than ${maxBytes} bytes (the most read)`);
        return fail(`variable ${index + 1}: compressed data do not inflate (${(err as Error).message})`);
      }
      const r = new Reader(new DataView(inner.buffer, inner.byteOffset, inner.length), le, fail);
      const m = r.element(0, inner.length, `variable ${index + 1} (inflated)`, false);
      if (m.type !== MI.MATRIX) fail(`variable ${index + 1}: compressed element holds type ${m.type}, not a matrix`);
      out.push(readMatrix(r, m.start, m.start + m.bytes, index));
    } else {
      fail(`variable ${index + 1}: element of type ${e.type} at the top level (expected a matrix)`);
    }
  }
  return out;
}
