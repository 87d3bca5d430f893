// Reading a dataset cache's header without trusting it (the layout is in cache.ts): a cache is a file,
// and a file may be cut short or tampered with. Every count and section is checked against the others and
// against the file's size before anything is allocated from it, and every error names the file and the
// field: "it.cache: count is 1000000000, but sections.lengths holds 24 values".
import { z } from 'zod';
import { parseWith } from '../util/json-fields.js';
import type { LayoutJson } from './layout-file.js';

export interface LabelInfo {
  name: string;
  /** NTU action id (1-120), or null for users' own classes. */
  ntuAction: number | null;
}

export const MAGIC = 'IRSKEL01';
export const CACHE_VERSION = 1;
/** Bytes before the header JSON: the magic and its u32 length. */
export const PREAMBLE_BYTES = 12;
/** Most bodies per frame a cache holds (the writer refuses more, the reader does too). */
export const MAX_CACHE_BODIES = 64;

/** Per-sample integer fields, in the order of the meta section (0 = unknown). */
export const META_FIELDS = ['setup', 'camera', 'subject', 'replication', 'recording', 'split'] as const;
/** The fields of caches written before recording and split were stored. */
export const META_FIELDS_V1 = ['setup', 'camera', 'subject', 'replication'] as const;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const section = z.object({ offset: count, /** elements */ length: count });
export type Section = z.infer<typeof section>;

const cacheHeaderSchema = z.object({
  format: z.literal('indrnn-skeleton-cache'),
  version: z.literal(CACHE_VERSION),
  /** Layout name; layoutSpec is the whole layout (absent in caches from before user layouts). */
  layout: z.string().min(1),
  layoutSpec: z.unknown().optional(),
  bodies: z.number().int().min(1).max(MAX_CACHE_BODIES),
  joints: z.number().int().min(1),
  count,
  totalFrames: count,
  dtype: z.enum(['int16', 'float32']),
  /** Metres per int16 step (1 for float32). */
  quantum: z.number().positive(),
  labels: z.array(z.looseObject({ name: z.string(), ntuAction: z.number().int().nullable().optional() })),
  /** Sample ids (NTU names without extension, or users' ids), [N]. */
  ids: z.array(z.string()),
  hasFrameLabels: z.boolean(),
  /** Names of the meta section's columns (absent: the first four of META_FIELDS). */
  metaFields: z.array(z.string()).optional(),
  /** Frame rate of the recordings. */
  fps: z.number().positive(),
  /** Free-form provenance: source folder, split used when building, generator seed... */
  source: z.record(z.string(), z.unknown()),
  sections: z.object({ lengths: section, labels: section, meta: section, frames: section, frameLabels: section }),
});

export type CacheHeader = Omit<z.infer<typeof cacheHeaderSchema>, 'layoutSpec' | 'labels'> & {
  layoutSpec?: LayoutJson;
  labels: LabelInfo[];
};

type SectionName = keyof CacheHeader['sections'];

/** Bytes per element of each section. */
export function elementBytes(h: Pick<CacheHeader, 'dtype'>): Record<SectionName, number> {
  return { lengths: 4, labels: 4, meta: 4, frames: h.dtype === 'int16' ? 2 : 4, frameLabels: 4 };
}

/** The meta section's columns. */
export function metaFieldsOf(h: Pick<CacheHeader, 'metaFields'>): readonly string[] {
  return h.metaFields ?? META_FIELDS_V1;
}

/**
 * The header of the cache in `bytes`, checked: the magic, the version, every field's type and range, every
 * section's length against the counts, and every section inside the file (and aligned for its elements).
 * Throws with `source` (the file) and the field.
 */
export function readCacheHeader(bytes: Uint8Array, source: string): CacheHeader {
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(8, bytes.length)).toString('latin1');
  if (magic !== MAGIC)
    throw new TypeError(
      `${source}: not a skeleton cache (magic '${magic}', expected '${MAGIC}'); build one with \`indrnn data build\``,
    );
  if (bytes.length < PREAMBLE_BYTES)
    throw new RangeError(`${source}: file has ${bytes.length} bytes, too short for a cache header (truncated?)`);
  const hlen = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES).getUint32(8, true);
  if (hlen > bytes.length - PREAMBLE_BYTES)
    throw new RangeError(
      `${source}: header length ${hlen} runs past the end of the file (${bytes.length} bytes; truncated?)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + PREAMBLE_BYTES, hlen).toString('utf8'));
  } catch (e) {
    throw new SyntaxError(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new TypeError(`${source}: header is not a JSON object`);
  const raw = json as Partial<CacheHeader>;
  if (raw.format !== 'indrnn-skeleton-cache' || raw.version !== CACHE_VERSION) {
    throw new RangeError(
      `${source}: cache version ${raw.version} is not supported (expected ${CACHE_VERSION}); rebuild it with \`indrnn data build\``,
    );
  }
  const h = parseWith(cacheHeaderSchema, json, source, '(header)') as CacheHeader;
  const mismatch = (field: string, message: string): never => {
    throw new RangeError(`${source}: ${field}: ${message}`);
  };
  if (h.ids.length !== h.count) mismatch('count', `${h.count}, but ids holds ${h.ids.length} sample ids`);
  const frameSize = h.bodies * h.joints * 3;
  const expected: Record<SectionName, [number, string]> = {
    lengths: [h.count, `count is ${h.count}`],
    labels: [h.count, `count is ${h.count}`],
    meta: [
      h.count * metaFieldsOf(h).length,
      `count x meta fields is ${h.count} x ${metaFieldsOf(h).length} = ${h.count * metaFieldsOf(h).length}`,
    ],
    frames: [
      h.totalFrames * frameSize,
      `totalFrames x bodies x joints x 3 is ${h.totalFrames} x ${h.bodies} x ${h.joints} x 3 = ${h.totalFrames * frameSize}`,
    ],
    frameLabels: [h.hasFrameLabels ? h.totalFrames : 0, `hasFrameLabels is ${h.hasFrameLabels}`],
  };
  const size = elementBytes(h);
  for (const name of Object.keys(expected) as SectionName[]) {
    const { offset, length } = h.sections[name];
    const [want, why] = expected[name];
    if (length !== want) mismatch(`sections.${name}.length`, `${length} values, but ${why}`);
    if (offset < PREAMBLE_BYTES + hlen || offset % size[name] !== 0)
      mismatch(
        `sections.${name}.offset`,
        `${offset} is not a ${size[name]}-byte aligned position after the header (which ends at byte ${PREAMBLE_BYTES + hlen})`,
      );
    const end = offset + length * size[name];
    if (end > bytes.length)
      mismatch(
        `sections.${name}`,
        `file has ${bytes.length} bytes, header needs ${end} (truncated?): ${length} values of ${size[name]} bytes from byte ${offset}`,
      );
  }
  return h;
}

/**
 * Checks what the header's numbers say of the sections' contents: the samples' frames add up to
 * totalFrames, and every label (per sample and per frame) is -1 or one of the header's labels.
 */
export function checkSectionValues(
  h: CacheHeader,
  v: { lengths: Uint32Array; labels: Int32Array; frameLabels: Int32Array | null },
  source: string,
): void {
  let frames = 0;
  for (let i = 0; i < v.lengths.length; i++) frames += v.lengths[i];
  if (frames !== h.totalFrames)
    throw new RangeError(
      `${source}: sections.lengths: the samples' frames add up to ${frames}, but totalFrames is ${h.totalFrames}`,
    );
  const K = h.labels.length;
  for (const [name, labels] of [
    ['labels', v.labels],
    ['frameLabels', v.frameLabels ?? new Int32Array(0)],
  ] as const) {
    for (let i = 0; i < labels.length; i++)
      if (labels[i] < -1 || labels[i] >= K)
        throw new RangeError(`${source}: sections.${name}[${i}]: label ${labels[i]} is outside -1..${K - 1}`);
  }
}
