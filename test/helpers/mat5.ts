// A small MATLAB 5 MAT-file writer for tests: the bytes MATLAB writes (128-byte header, then one miMATRIX
// element per variable, zlib-compressed as miCOMPRESSED or not), so that the reader (src/data/mat5.ts)
// is tested on files the test makes itself. Numbers may be stored in a smaller type than their class, as
// MATLAB does (a double array of small integers as uint8).
import { deflateSync } from 'node:zlib';

const CLASS_IDS = { char: 4, double: 6, single: 7, int8: 8, uint8: 9, int16: 10, uint16: 11, int32: 12, uint32: 13 };
const TYPES = { int8: 1, uint8: 2, int16: 3, uint16: 4, int32: 5, uint32: 6, single: 7, double: 9 } as const;
type Stored = keyof typeof TYPES;
const SIZES: Record<Stored, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  single: 4,
  double: 8,
};

export type MatWriteVar =
  /** Text; `dims` (default 1 x length) for a char array of several rows, `text` then in column-major order. */
  | { name: string; text: string; dims?: number[]; compress?: boolean }
  | {
      name: string;
      class: Exclude<keyof typeof CLASS_IDS, 'char'>;
      /** Dimensions; values are column-major. */
      dims: number[];
      values: number[];
      /** Storage type (default: the class's own). */
      stored?: Stored;
      compress?: boolean;
    };

class Out {
  private readonly parts: Buffer[] = [];
  constructor(readonly le: boolean) {}
  u32(...vs: number[]): this {
    const b = Buffer.alloc(4 * vs.length);
    for (const [i, v] of vs.entries()) {
      if (this.le) b.writeUInt32LE(v, i * 4);
      else b.writeUInt32BE(v, i * 4);
    }
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function values(stored: Stored, vs: number[], le: boolean): Buffer {
  const size = SIZES[stored];
  const b = Buffer.alloc(vs.length * size);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  vs.forEach((v, i) => {
    const at = i * size;
    if (stored === 'double') view.setFloat64(at, v, le);
    else if (stored === 'single') view.setFloat32(at, v, le);
    else if (stored === 'int8') view.setInt8(at, v);
    else if (stored === 'uint8') view.setUint8(at, v);
    else if (stored === 'int16') view.setInt16(at, v, le);
    else if (stored === 'uint16') view.setUint16(at, v, le);
    else if (stored === 'int32') view.setInt32(at, v, le);
    else view.setUint32(at, v, le);
  });
  return b;
}

/** One sub-element: tag + data padded to 8 bytes (data of up to 4 bytes in the small format when asked). */
function element(type: number, data: Buffer, le: boolean, small = false): Buffer {
  if (small && data.length <= 4) {
    const b = Buffer.alloc(8);
    data.copy(b, 4);
    return Buffer.concat([new Out(le).u32((data.length << 16) | type).done(), b.subarray(4)]);
  }
  const pad = Buffer.alloc((8 - (data.length % 8)) % 8);
  return new Out(le).u32(type, data.length).bytes(data).bytes(pad).done();
}

/** The miMATRIX element of a variable. */
export function matrixElement(v: MatWriteVar, le = true): Buffer {
  const isText = 'text' in v;
  const chars = isText ? [...v.text].map((c) => c.codePointAt(0)!) : [];
  const dims = isText ? (v.dims ?? [1, chars.length]) : v.dims;
  const cls = isText ? CLASS_IDS.char : CLASS_IDS[v.class];
  const body = Buffer.concat([
    element(TYPES.uint32, new Out(le).u32(cls, 0).done(), le),
    element(TYPES.int32, values('int32', dims, le), le),
    element(TYPES.int8, Buffer.from(v.name, 'latin1'), le, true),
    isText
      ? element(TYPES.uint16, values('uint16', chars, le), le)
      : element(TYPES[v.stored ?? (v.class as Stored)], values(v.stored ?? (v.class as Stored), v.values, le), le),
  ]);
  return new Out(le).u32(14, body.length).bytes(body).done();
}

/** A whole file: header, then each variable (compressed unless `compress: false`). */
export function matFile(vars: MatWriteVar[], { bigEndian = false, text = 'MATLAB 5.0 MAT-file, test' } = {}): Buffer {
  const le = !bigEndian;
  const header = Buffer.alloc(128, 0x20);
  header.write(text, 0, 'latin1');
  header.fill(0, 116, 124);
  const version = Buffer.alloc(2);
  if (le) version.writeUInt16LE(0x0100);
  else version.writeUInt16BE(0x0100);
  version.copy(header, 124);
  header.write(le ? 'IM' : 'MI', 126, 'latin1');
  const parts = vars.map((v) => {
    const m = matrixElement(v, le);
    if (v.compress === false) return m;
    const z = deflateSync(m);
    return new Out(le).u32(15, z.length).bytes(z).done();
  });
  return Buffer.concat([header, ...parts]);
}
