// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__: {string: string}}, then raw
// little-endian tensor bytes. Chosen for checkpoints so that other tools (Python's safetensors, numpy)
// can read our weights directly.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type WriteFn, writeFileAtomic } from './atomic-write.js';
import { parseWith } from './json-fields.js';

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected)
      throw new RangeError(`${t.name} has ${t.data.length} values, shape [${t.shape}] needs ${expected}`);
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data section to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

const HeaderEntrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
  data_offsets: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
});
const MetadataSchema = z.record(z.string(), z.string());

/**
 * Parses a safetensors file held in memory without trusting its header: every tensor's offsets lie in the
 * data section, its shape accounts for exactly its bytes, and the tensors together hold no more bytes than
 * the file (entries that share bytes cannot make it copy more than its size). Errors start with `source`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsFile {
  if (bytes.length < 8) throw new Error(`${source}: too short for a safetensors file (${bytes.length} bytes)`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > bytes.length - 8)
    throw new Error(`${source}: header length ${headerLen} exceeds the file (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8'));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new TypeError(`${source}: header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const dataBytes = bytes.length - dataStart;
  const entries: [string, HeaderEntry][] = [];
  let total = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = parseWith(HeaderEntrySchema, entry, `${source}: tensor ${name}`, '(entry)');
    if (e.dtype !== 'F32') throw new Error(`${source}: tensor ${name} has dtype ${e.dtype}; only F32 is supported`);
    const [begin, end] = e.data_offsets;
    if (begin > end || end > dataBytes)
      throw new Error(
        `${source}: tensor ${name}: data_offsets [${begin}, ${end}] are not inside the ${dataBytes} data bytes (truncated?)`,
      );
    const values = e.shape.reduce((a, b) => a * b, 1);
    if (values * 4 !== end - begin)
      throw new Error(
        `${source}: tensor ${name}: shape [${e.shape}] needs ${values * 4} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    total += end - begin;
    entries.push([name, e]);
  }
  if (total > dataBytes)
    throw new Error(`${source}: the tensors claim ${total} bytes, the data section has ${dataBytes} (they overlap)`);
  const tensors = new Map<string, NamedTensor>();
  for (const [
    name,
    {
      shape,
      data_offsets: [begin, end],
    },
  ] of entries) {
    // Copy into a fresh, 4-byte aligned buffer. (Not bytes.slice(): on a Node Buffer that is a view.)
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { name, shape, data: new Float32Array(copy.buffer) });
  }
  const meta = (header as Record<string, unknown>).__metadata__ ?? {};
  return { tensors, metadata: parseWith(MetadataSchema, meta, `${source}: __metadata__`, '(metadata)') };
}

/** Writes atomically and verified (atomic-write.ts): a failed or partial write leaves the previous file intact. */
export function writeSafetensorsFile(
  path: string,
  tensors: readonly NamedTensor[],
  metadata: Record<string, string> = {},
  write?: WriteFn,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata), write);
}

export function readSafetensorsFile(path: string): SafetensorsFile {
  return decodeSafetensors(readFileSync(path), path);
}
