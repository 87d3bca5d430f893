// Compact binary dataset cache, so that training does not re-parse text. It stores the RAW positions
// after body selection (camera-space metres, [T_i, B, J, 3] per sample), not the model input: the
// preprocessing (centring, view alignment, scale) is then chosen when the cache is opened, and costs
// far less than parsing. Positions are quantised to int16 (quantum recorded in the header; ~0.2 mm for
// NTU), halving the size; 'float32' keeps them exact.
//
// File layout (little endian; every section starts at a multiple of 8 bytes, so typed arrays view the
// file buffer without copying):
//   0   8 bytes   magic "IRSKEL01"
//   8   u32       H = byte length of the header JSON
//   12  H bytes   header JSON (CacheHeader), then zero padding to a multiple of 8
//   sections, at header.sections[name].offset (bytes from the start of the file):
//     lengths      u32 [N]            frames per sample T_i
//     labels       i32 [N]            label index into header.labels, -1 = none (continuous streams)
//     meta         i32 [N, M]         header.metaFields per sample (0 = unknown): setup, camera, subject
//                                      (performer), replication (take), recording, split (1 train, 2 test);
//                                      caches from before recording/split have M = 4
//     frames       i16|f32 [sum T_i, B, J, 3]   positions / quantum (int16) or metres (float32)
//     frameLabels  i32 [sum T_i]      (only when header.hasFrameLabels) per-frame label index, -1 = none
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import {
  CACHE_VERSION,
  type CacheHeader,
  checkSectionValues,
  type LabelInfo,
  MAGIC,
  MAX_CACHE_BODIES,
  META_FIELDS,
  metaFieldsOf,
  PREAMBLE_BYTES,
  readCacheHeader,
  type Section,
} from './cache-header.js';
import { layoutJson, storedLayout } from './layout-file.js';
import { getLayout, type Layout, type LayoutName } from './layouts.js';
import { defaultPreprocessConfig, type PreprocessConfig, preprocessSequence } from './preprocess.js';
import { assignSplit, parseSplit, type Split } from './split-spec.js';
import type { SplitPart } from './splits.js';

export { CACHE_VERSION, META_FIELDS };

const SPLIT_CODES = { train: 1, test: 2 } as const;

/** One sample given to the writer. */
export interface CacheSample {
  id: string;
  /** [T, B, J, 3] positions. */
  raw: Float32Array;
  T: number;
  /** Label index, -1 for none. */
  label: number;
  setup?: number;
  camera?: number;
  subject?: number;
  /** Replication or take. */
  replication?: number;
  /** Recording (video) the sample was cut from. */
  recording?: number;
  /** The sample's own part, for `--split given`. */
  split?: SplitPart;
  /** [T] per-frame label index (-1 = none), for continuous streams. */
  frameLabels?: Int32Array;
}

export interface CacheWriterOptions {
  layout: Layout | LayoutName;
  bodies: number;
  labels: LabelInfo[];
  dtype?: 'int16' | 'float32';
  fps?: number;
  source?: Record<string, unknown>;
}

/** Collects samples in memory, then writes the cache in one go (the quantum needs the largest value). */
export class CacheWriter {
  private samples: CacheSample[] = [];
  private readonly frameSize: number;
  private readonly joints: number;
  private readonly layout: Layout;

  constructor(private readonly opts: CacheWriterOptions) {
    if (!Number.isInteger(opts.bodies) || opts.bodies < 1 || opts.bodies > MAX_CACHE_BODIES)
      throw new RangeError(`bodies per frame must be an integer in 1..${MAX_CACHE_BODIES}, got ${opts.bodies}`);
    this.layout = typeof opts.layout === 'string' ? getLayout(opts.layout) : opts.layout;
    this.joints = this.layout.joints.length;
    this.frameSize = opts.bodies * this.joints * 3;
  }

  /** The samples added so far (ids, labels, meta), e.g. to place them in a split before writing. */
  get added(): readonly CacheSample[] {
    return this.samples;
  }

  /** Keeps only the samples at `indices` (in that order). */
  retain(indices: readonly number[]): void {
    this.samples = indices.map((i) => this.samples[i]);
  }

  get count(): number {
    return this.samples.length;
  }

  add(s: CacheSample): void {
    if (s.raw.length !== s.T * this.frameSize) {
      throw new RangeError(
        `${s.id}: ${s.raw.length} values, expected T*B*J*3 = ${s.T}*${this.frameSize} = ${s.T * this.frameSize}`,
      );
    }
    if (!Number.isInteger(s.label) || s.label < -1 || s.label >= this.opts.labels.length) {
      throw new RangeError(`${s.id}: label index ${s.label} is outside -1..${this.opts.labels.length - 1}`);
    }
    if (s.frameLabels && s.frameLabels.length !== s.T) {
      throw new RangeError(`${s.id}: ${s.frameLabels.length} frame labels for ${s.T} frames`);
    }
    this.samples.push(s);
  }

  /**
   * Serialises everything into `path` (its folder is created), atomically (atomic-write.ts): an
   * interrupted or failed build never leaves a truncated cache, nor its temporary file. Returns the header written.
   */
  write(path: string): CacheHeader {
    const { header, bytes } = this.encode();
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, bytes);
    return header;
  }

  encode(): { header: CacheHeader; bytes: Uint8Array } {
    const N = this.samples.length;
    const totalFrames = this.samples.reduce((a, s) => a + s.T, 0);
    const dtype = this.opts.dtype ?? 'int16';
    const quantum = dtype === 'int16' ? quantumFor(this.samples) : 1;
    const hasFrameLabels = this.samples.some((s) => s.frameLabels);
    const elem = dtype === 'int16' ? 2 : 4;
    const M = META_FIELDS.length;
    const sizes = { lengths: [N, 4], labels: [N, 4], meta: [N * M, 4], frames: [totalFrames * this.frameSize, elem] };
    const header: CacheHeader = {
      format: 'indrnn-skeleton-cache',
      version: CACHE_VERSION,
      layout: this.layout.name,
      layoutSpec: layoutJson(this.layout),
      bodies: this.opts.bodies,
      joints: this.joints,
      count: N,
      totalFrames,
      dtype,
      quantum,
      labels: this.opts.labels,
      ids: this.samples.map((s) => s.id),
      hasFrameLabels,
      metaFields: [...META_FIELDS],
      fps: this.opts.fps ?? 30,
      source: this.opts.source ?? {},
      sections: {} as CacheHeader['sections'],
    };
    const layoutSections = (start: number): number => {
      let off = start;
      const put = (name: keyof CacheHeader['sections'], n: number, bytesPer: number): void => {
        header.sections[name] = { offset: off, length: n };
        off = align8(off + n * bytesPer);
      };
      for (const [name, [n, b]] of Object.entries(sizes)) put(name as keyof CacheHeader['sections'], n, b);
      put('frameLabels', hasFrameLabels ? totalFrames : 0, 4);
      return off;
    };
    // The header holds the offsets, which depend on the header's length: iterate until it is stable.
    let start = 0;
    let json = '';
    for (;;) {
      const end = layoutSections(start);
      json = JSON.stringify(header);
      const need = align8(PREAMBLE_BYTES + Buffer.byteLength(json));
      if (need === start) return { header, bytes: this.fill(json, end, quantum) };
      start = need;
    }
  }

  private fill(json: string, end: number, quantum: number): Uint8Array {
    const buf = new ArrayBuffer(end);
    const u8 = new Uint8Array(buf);
    u8.set(Buffer.from(MAGIC, 'latin1'), 0);
    new DataView(buf).setUint32(8, Buffer.byteLength(json), true);
    u8.set(Buffer.from(json, 'utf8'), PREAMBLE_BYTES);
    const h: CacheHeader = JSON.parse(json);
    const view = openSections(buf, h);
    let f = 0;
    this.samples.forEach((s, i) => {
      view.lengths[i] = s.T;
      view.labels[i] = s.label;
      const split = s.split ? SPLIT_CODES[s.split] : 0;
      view.meta.set(
        [s.setup ?? 0, s.camera ?? 0, s.subject ?? 0, s.replication ?? 0, s.recording ?? 0, split],
        i * META_FIELDS.length,
      );
      const dst = view.frames.subarray(f * this.frameSize, (f + s.T) * this.frameSize);
      if (dst instanceof Int16Array) for (let k = 0; k < dst.length; k++) dst[k] = Math.round(s.raw[k] / quantum);
      else dst.set(s.raw);
      if (view.frameLabels) view.frameLabels.set(s.frameLabels ?? new Int32Array(s.T).fill(-1), f);
      f += s.T;
    });
    return u8;
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** Smallest quantum that fits the largest |value| into int16 (with margin). */
function quantumFor(samples: CacheSample[]): number {
  let max = 0;
  for (const s of samples) for (let i = 0; i < s.raw.length; i++) max = Math.max(max, Math.abs(s.raw[i]));
  return max > 0 ? max / 32000 : 1;
}

interface SectionViews {
  lengths: Uint32Array;
  labels: Int32Array;
  meta: Int32Array;
  frames: Int16Array | Float32Array;
  frameLabels: Int32Array | null;
}

function openSections(buf: ArrayBufferLike, h: CacheHeader, base = 0): SectionViews {
  const s = h.sections;
  const v = <T>(C: new (b: ArrayBufferLike, o: number, n: number) => T, sec: Section): T =>
    new C(buf, base + sec.offset, sec.length);
  return {
    lengths: v(Uint32Array, s.lengths),
    labels: v(Int32Array, s.labels),
    meta: v(Int32Array, s.meta),
    frames: h.dtype === 'int16' ? v(Int16Array, s.frames) : v(Float32Array, s.frames),
    frameLabels: h.hasFrameLabels ? v(Int32Array, s.frameLabels) : null,
  };
}

/** What a cache knows of a sample beyond its frames and label (0 / null = unknown). */
export interface SampleMeta {
  setup: number;
  camera: number;
  subject: number;
  /** Replication or take. */
  replication: number;
  recording: number;
  split: SplitPart | null;
}

export interface OpenOptions {
  /** Keep only one part of a split (split-spec.ts: 'ntu60-xsub', 'subjects:1,3', 'given', ...). */
  split?: Split | string;
  part?: SplitPart;
  /** Preprocessing for frames(); default defaultPreprocessConfig(layout, bodies). */
  preprocess?: PreprocessConfig;
}

/** A dataset opened from a cache (or a subset of one). Sample indices run 0..count-1. */
export class SkeletonDataset {
  readonly count: number;
  /** Layout name (built-in or the user's). */
  readonly layout: string;
  readonly bodies: number;
  readonly joints: number;
  /** Values per model input frame D = B*J*3 (150 for NTU). */
  readonly frameSize: number;
  readonly labels: readonly LabelInfo[];

  constructor(
    readonly header: CacheHeader,
    /** The whole layout: joint names, parents, anchors, dims. */
    readonly jointLayout: Layout,
    private readonly views: SectionViews,
    /** Frame offset of each sample in the whole cache. */
    private readonly starts: Float64Array,
    /** Cache sample index of each of our samples. */
    private readonly index: Int32Array,
    /** The preprocessing frames() applies. */
    readonly preprocess: PreprocessConfig,
    /** withClasses: the cache's label index -> ours (-1: not one of ours); null: the cache's labels. */
    private readonly classMap: Int32Array | null = null,
  ) {
    this.count = index.length;
    this.layout = header.layout;
    this.bodies = header.bodies;
    this.joints = header.joints;
    this.frameSize = header.bodies * header.joints * 3;
    this.labels = classMap ? header.labels.filter((_, i) => classMap[i] >= 0) : header.labels;
    if (classMap) this.labels = [...this.labels].sort((a, b) => this.ours(a) - this.ours(b));
  }

  private ours(l: LabelInfo): number {
    return this.classMap![this.header.labels.indexOf(l)];
  }

  private at(i: number): number {
    if (!Number.isInteger(i)) throw new TypeError(`sample index must be an integer, got ${i}`);
    if (i < 0 || i >= this.count) throw new RangeError(`sample index ${i} is outside 0..${this.count - 1}`);
    return this.index[i];
  }

  id(i: number): string {
    return this.header.ids[this.at(i)];
  }
  /** Frames T_i. */
  length(i: number): number {
    return this.views.lengths[this.at(i)];
  }
  /** Label index into `labels`, -1 for unlabelled (stream) samples. */
  label(i: number): number {
    const l = this.views.labels[this.at(i)];
    return this.classMap && l >= 0 ? this.classMap[l] : l;
  }
  meta(i: number): SampleMeta {
    const fields = metaFieldsOf(this.header);
    const M = fields.length;
    const m = this.views.meta.subarray(this.at(i) * M, this.at(i) * M + M);
    const get = (name: string) => {
      const k = fields.indexOf(name);
      return k < 0 ? 0 : m[k];
    };
    const split = get('split');
    return {
      setup: get('setup'),
      camera: get('camera'),
      subject: get('subject'),
      replication: get('replication'),
      recording: get('recording'),
      split: split === SPLIT_CODES.train ? 'train' : split === SPLIT_CODES.test ? 'test' : null,
    };
  }
  /** Raw positions [T_i, B, J, 3] in metres (a fresh array). */
  raw(i: number): Float32Array {
    const k = this.at(i);
    const D = this.frameSize;
    const src = this.views.frames.subarray(this.starts[k] * D, (this.starts[k] + this.views.lengths[k]) * D);
    const out = new Float32Array(src.length);
    const q = this.header.quantum;
    if (src instanceof Int16Array) for (let n = 0; n < src.length; n++) out[n] = src[n] * q;
    else out.set(src);
    return out;
  }
  /** Model input [T_i, D], preprocessed with `preprocess` (a fresh array). */
  frames(i: number): Float32Array {
    return preprocessSequence(this.preprocess, this.raw(i), this.length(i));
  }
  /** Per-frame label indices [T_i] (-1 = none), or null when the cache has none. */
  frameLabels(i: number): Int32Array | null {
    const fl = this.views.frameLabels;
    if (!fl) return null;
    const k = this.at(i);
    return fl.slice(this.starts[k], this.starts[k] + this.views.lengths[k]);
  }
  /** A view on some of the samples (indices into this dataset). */
  subset(indices: readonly number[]): SkeletonDataset {
    const idx = Int32Array.from(indices, (i) => this.at(i));
    return new SkeletonDataset(
      this.header,
      this.jointLayout,
      this.views,
      this.starts,
      idx,
      this.preprocess,
      this.classMap,
    );
  }
  /**
   * A view whose classes are `keep` (indices into `labels`), in that order: a sample of class keep[j] has
   * label j, a sample of any other class -1 (unlabelled). Clips only: per-frame labels are not renumbered.
   */
  withClasses(keep: readonly number[]): SkeletonDataset {
    const map = new Int32Array(this.header.labels.length).fill(-1);
    keep.forEach((cur, j) => {
      // Our label `cur` is the cache's label whose index maps to it (or itself without a map).
      const k = this.classMap ? this.classMap.indexOf(cur) : cur;
      if (k < 0 || k >= map.length) throw new RangeError(`class index ${cur} is outside 0..${this.labels.length - 1}`);
      if (map[k] >= 0) throw new RangeError(`class ${this.header.labels[k].name} is given twice`);
      map[k] = j;
    });
    return new SkeletonDataset(
      this.header,
      this.jointLayout,
      this.views,
      this.starts,
      this.index,
      this.preprocess,
      map,
    );
  }
}

/** Parses a cache held in memory (e.g. a file's bytes); `source` (the file) starts every error. */
export function decodeCache(bytes: Uint8Array, source: string, options: OpenOptions = {}): SkeletonDataset {
  // Typed views need aligned offsets: copy when the bytes do not start at a multiple of 8.
  const own = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const header = readCacheHeader(own, source);
  const views = openSections(own.buffer, header, own.byteOffset);
  checkSectionValues(header, views, source);
  const starts = new Float64Array(header.count);
  for (let i = 1; i < header.count; i++) starts[i] = starts[i - 1] + views.lengths[i - 1];
  const layout = storedLayout(header.layout, header.layoutSpec, source);
  if (header.joints !== layout.joints.length)
    throw new RangeError(`${source}: joints: ${header.joints}, but layout ${layout.name} has ${layout.joints.length}`);
  const preprocess = options.preprocess ?? defaultPreprocessConfig(layout, header.bodies);
  if (preprocess.layout !== header.layout || preprocess.bodies !== header.bodies) {
    throw new RangeError(
      `${source}: cache holds ${header.layout} x ${header.bodies} bodies, preprocess config expects ` +
        `${preprocess.layout} x ${preprocess.bodies}`,
    );
  }
  const all = new SkeletonDataset(
    header,
    layout,
    views,
    starts,
    Int32Array.from({ length: header.count }, (_, i) => i),
    preprocess,
  );
  return options.split ? all.subset(splitIndices(all, options.split, options.part ?? 'train', source)) : all;
}

/** Opens a cache file: one read, then views on its bytes. */
export function openDataset(path: string, options: OpenOptions = {}): SkeletonDataset {
  return decodeCache(readFileSync(path), path, options);
}

/** The part of every sample of `ds` in a split (null: the split does not cover it). */
export function splitParts(ds: SkeletonDataset, split: Split | string, source = 'dataset'): (SplitPart | null)[] {
  const spec = typeof split === 'string' ? parseSplit(split) : split;
  const samples = Array.from({ length: ds.count }, (_, i) => splitSample(ds.id(i), ds.label(i), ds.meta(i)));
  return assignSplit(samples, spec, source);
}

/** A sample as a split places it (split-spec.ts): its ids, and its own part as a code (0: none). */
export function splitSample(id: string, label: number, m: Partial<Omit<SampleMeta, 'setup' | 'replication'>>) {
  const split = m.split ? SPLIT_CODES[m.split] : 0;
  return { id, label, subject: m.subject ?? 0, camera: m.camera ?? 0, recording: m.recording ?? 0, split };
}

/** Indices of the samples in one part of a split; samples outside the split (e.g. NTU-120 classes in an NTU-60 split) are left out. */
export function splitIndices(
  ds: SkeletonDataset,
  split: Split | string,
  part: SplitPart,
  source = 'dataset',
): number[] {
  const parts = splitParts(ds, split, source);
  const out: number[] = [];
  parts.forEach((p, i) => {
    if (p === part) out.push(i);
  });
  return out;
}
