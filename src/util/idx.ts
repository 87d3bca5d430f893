// IDX files (the MNIST / Fashion-MNIST container): magic 0x0000 <type> <ndims>, big-endian uint32 dims,
// then the values. Plain or gzip-compressed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes.length < 4) throw new Error(`${source}: too short for an IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) throw new Error(`${source}: not an IDX file (bad magic number)`);
  const type = bytes[2];
  if (type !== 0x08)
    throw new Error(`${source}: IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes)`);
  const ndims = bytes[3];
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i));
  const start = 4 + 4 * ndims;
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - start < count) {
    throw new Error(`${source}: holds ${bytes.length - start} values, dims [${dims}] need ${count} (truncated?)`);
  }
  return { dims, data: bytes.subarray(start, start + count) };
}

export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Reads `<dir>/<name>` or `<dir>/<name>.gz`. */
export function readIdxFile(dir: string, name: string): IdxArray {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (existsSync(candidate)) return parseIdx(readFileSync(candidate), candidate);
  }
  throw new Error(`${join(dir, name)}(.gz) not found: --data must be a folder with MNIST-style IDX files`);
}
