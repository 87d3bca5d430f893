// Tampered files, as an attacker (or a flipped bit) would make them: a dataset cache or a safetensors file
// whose JSON header says something else than its bytes. The bytes after the header stay as they were.

type Json = Record<string, any>;

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * A copy of cache `bytes` with its header edited by `edit`. The header may grow or shrink: the sections
 * move with it, and their offsets are shifted before `edit` sees them (so an offset `edit` sets is the one
 * the file ends up with).
 */
export function tamperCacheHeader(bytes: Uint8Array, edit: (h: Json) => void): Buffer {
  const b = Buffer.from(bytes);
  const hlen = b.readUInt32LE(8);
  const header = JSON.parse(b.subarray(12, 12 + hlen).toString('utf8')) as Json;
  const oldStart = align8(12 + hlen);
  let start = oldStart;
  let json = '';
  for (;;) {
    const h = structuredClone(header);
    for (const s of Object.values(h.sections) as { offset: number }[]) s.offset += start - oldStart;
    edit(h);
    json = JSON.stringify(h);
    const need = align8(12 + Buffer.byteLength(json));
    if (need === start) break;
    start = need;
  }
  const out = Buffer.alloc(start + b.length - oldStart);
  b.copy(out, 0, 0, 8);
  out.writeUInt32LE(Buffer.byteLength(json), 8);
  out.write(json, 12, 'utf8');
  b.copy(out, start, oldStart);
  return out;
}

/** A copy of safetensors `bytes` with its header (tensor entries and __metadata__) edited by `edit`. */
export function tamperSafetensorsHeader(bytes: Uint8Array, edit: (h: Json) => void): Buffer {
  const b = Buffer.from(bytes);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Json;
  edit(header);
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + b.length - 8 - n);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  b.copy(out, 8 + head.length, 8 + n);
  return out;
}

/** Edits the JSON of a safetensors metadata entry (a checkpoint's config or state) in place. */
export function editMetadataJson(h: Json, key: string, edit: (value: Json) => void): void {
  const value = JSON.parse(h.__metadata__[key]);
  edit(value);
  h.__metadata__[key] = JSON.stringify(value);
}
