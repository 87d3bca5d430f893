// Building dataset caches from a folder of NTU `.skeleton` files (real or synthetic), N-UCLA clips
// (nucla-reader.ts), PKU-MMD recordings (pku-mmd-reader.ts) or a users' JSON Lines file, into one binary
// cache (cache.ts), optionally restricted to one part of a split (split-spec.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { keepBodies, selectBodies } from './bodies.js';
import { CacheWriter, splitSample } from './cache.js';
import type { CacheHeader, LabelInfo } from './cache-header.js';
import { getLayout } from './layouts.js';
import { isMediapipeTarget, MEDIAPIPE_TARGETS, mediapipeFramesTo } from './mediapipe.js';
import { ntuActionId, ntuActionName } from './ntu-actions.js';
import { type NtuSampleName, parseNtuName, sampleId } from './ntu-name.js';
import { readSkeletonFile } from './ntu-reader.js';
import { assignSplit, classesMissingFromTraining, parseSplit, type Split } from './split-spec.js';
import { hasMissingSkeleton, type SplitPart, splitPart } from './splits.js';
import { readUserJsonl, type UserLayouts, type UserSample } from './user-format.js';

/** What every builder takes besides its input. */
export interface CommonBuildOptions {
  /** Cache file to write. */
  out: string;
  /** Keep one part of a split (split-spec.ts); without it, all samples. */
  split?: Split | string;
  part?: SplitPart;
  /** Bodies per frame (extra bodies dropped, missing ones zero). Default: the format's. */
  bodies?: number;
  dtype?: 'int16' | 'float32';
  /** Stop after this many samples (quick experiments). */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BuildOptions extends CommonBuildOptions {
  /** Folder of `SsssCcccPpppRrrrAaaa.skeleton` files. */
  raw: string;
  /** Leave out NTU-60's 302 samples with missing skeletons. Default true for real data, false for a synthetic folder (one with dataset.json). */
  excludeMissing?: boolean;
  /** NTU action ids that make the label list (label index = position). Default: the synthetic manifest's, else all found. */
  actions?: number[];
}

export interface BuildReport {
  header: CacheHeader;
  considered: number;
  skipped: { missingSkeleton: number; otherPart: number; otherAction: number };
  /** Problems worth telling (e.g. a class the chosen split leaves out of training). */
  warnings: string[];
  seconds: number;
}

type Skipped = BuildReport['skipped'];

function asSplit(split: Split | string | undefined): Split | undefined {
  return typeof split === 'string' ? parseSplit(split) : split;
}

/**
 * Places the samples in the split (unless the builder already did), keeps the asked part, warns about
 * classes that get no training sample, and writes the cache.
 */
export function finishBuild(
  writer: CacheWriter,
  o: CommonBuildOptions,
  source: string,
  labels: readonly LabelInfo[],
  t0: number,
  considered: number,
  skipped: Skipped,
  splitDone = false,
): BuildReport {
  const split = asSplit(o.split);
  const warnings: string[] = [];
  if (split && !splitDone) {
    const samples = writer.added.map((s) => splitSample(s.id, s.label, s));
    const parts = assignSplit(samples, split, source);
    const missing = classesMissingFromTraining(
      samples.map((s) => s.label),
      parts,
      labels.map((l) => l.name),
    );
    if (missing.length > 0)
      warnings.push(`the split leaves ${missing.length} class(es) out of training: ${missing.join(', ')}`);
    const keep = parts.flatMap((p, i) => (p === (o.part ?? 'train') ? [i] : []));
    skipped.otherPart += writer.count - keep.length;
    writer.retain(keep);
  }
  if (o.limit !== undefined && writer.count > o.limit) writer.retain([...Array(o.limit).keys()]);
  if (writer.count === 0)
    throw new RangeError(`${source}: no sample left after filtering (${JSON.stringify(skipped)})`);
  const header = writer.write(o.out);
  return { header, considered, skipped, warnings, seconds: (performance.now() - t0) / 1000 };
}

/** The action list of a synthetic dataset's manifest (dataset.json here or one folder up), or null. */
export function manifestActions(dir: string): number[] | null {
  for (const d of [dir, dirname(dir)]) {
    const p = join(d, 'dataset.json');
    if (existsSync(p)) {
      const m = JSON.parse(readFileSync(p, 'utf8')) as { actions?: { ntuAction: number }[] };
      if (Array.isArray(m.actions)) return m.actions.map((a) => a.ntuAction);
    }
  }
  return null;
}

interface RawFile {
  path: string;
  id: string;
  name: NtuSampleName;
}

function listSkeletons(dir: string): RawFile[] {
  if (!existsSync(dir)) throw new RangeError(`${dir}: no such folder`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.skeleton'))
    .sort()
    .map((f) => {
      const name = parseNtuName(f);
      if (!name)
        throw new RangeError(`${join(dir, f)}: not an NTU sample name (expected SsssCcccPpppRrrrAaaa.skeleton)`);
      return { path: join(dir, f), id: sampleId(f), name };
    });
  if (files.length === 0)
    throw new RangeError(`${dir}: no .skeleton files (N-UCLA or PKU-MMD? add --format nucla or --format pku-mmd)`);
  return files;
}

/** Per-frame NTU ids from a stream's `.labels` sidecar, or null when there is none. */
function readFrameLabels(path: string): Int32Array | null {
  const p = path.replace(/\.skeleton$/, '.labels');
  if (!existsSync(p)) return null;
  const lines = readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return Int32Array.from(lines, (l, i) => {
    const v = Number(l);
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${p} line ${i + 1}: expected an NTU action id (0 = none), got '${l}'`);
    return v;
  });
}

export function labelsFor(actions: number[]): LabelInfo[] {
  return actions.map((a) => ({ name: ntuActionName(a), ntuAction: a }));
}

/** Reads NTU files, selects bodies and writes the cache. */
export function buildNtuCache(o: BuildOptions): BuildReport {
  const t0 = performance.now();
  const files = listSkeletons(o.raw);
  const synthetic = manifestActions(o.raw);
  const excludeMissing = o.excludeMissing ?? synthetic === null;
  const actions =
    o.actions ?? synthetic ?? [...new Set(files.map((f) => f.name.action).filter((a) => a > 0))].sort((a, b) => a - b);
  const index = new Map(actions.map((a, i) => [a, i]));
  const bodies = o.bodies ?? 2;
  const labels = labelsFor(actions);
  const split = asSplit(o.split);
  const writer = new CacheWriter({
    layout: 'ntu25',
    bodies,
    labels,
    dtype: o.dtype,
    source: {
      raw: o.raw,
      split: typeof o.split === 'string' ? o.split : (split?.kind ?? null),
      part: o.split ? (o.part ?? 'train') : null,
      excludeMissing,
      synthetic: synthetic !== null,
    },
  });
  const skipped = { missingSkeleton: 0, otherPart: 0, otherAction: 0 };
  // The NTU protocols need only the file name: those files are never read.
  const ntuSplit = split?.kind === 'ntu' ? split.name : null;
  const skipReason = (f: RawFile): keyof typeof skipped | null => {
    if (excludeMissing && hasMissingSkeleton(f.id)) return 'missingSkeleton';
    if (ntuSplit && splitPart(f.name, ntuSplit) !== (o.part ?? 'train')) return 'otherPart';
    if (f.name.action !== 0 && !index.has(f.name.action)) return 'otherAction';
    return null;
  };
  const chosen = files.filter((f) => {
    const why = skipReason(f);
    if (why) skipped[why]++;
    return why === null;
  });
  const take = chosen.slice(0, ntuSplit || !split ? (o.limit ?? chosen.length) : chosen.length);
  take.forEach((f, i) => {
    const sel = selectBodies(readSkeletonFile(f.path), { bodies, joints: getLayout('ntu25').joints.length });
    const perFrame = readFrameLabels(f.path);
    writer.add({
      id: f.id,
      raw: sel.data,
      T: sel.T,
      label: f.name.action === 0 ? -1 : index.get(f.name.action)!,
      setup: f.name.setup,
      camera: f.name.camera,
      subject: f.name.performer,
      replication: f.name.replication,
      frameLabels: perFrame ? Int32Array.from(sel.frameIndex, (t) => index.get(perFrame[t]) ?? -1) : undefined,
    });
    o.onProgress?.(i + 1, take.length);
  });
  return finishBuild(writer, o, o.raw, labels, t0, files.length, skipped, ntuSplit !== null);
}

export interface JsonlBuildOptions extends CommonBuildOptions {
  jsonl: string;
  /** Bodies per frame in the cache; default the most any sample has. */
  bodies?: number;
  /** Class names in label-index order; default sorted names found. */
  labels?: string[];
  /** Users' layouts the samples may name (from --layout-file). */
  layouts?: UserLayouts;
  /** Convert the samples to this layout first (mediapipe33 -> kinect20 or ntu25, mediapipe.ts). */
  toLayout?: string;
}

/** Samples of mediapipe33 -> the same samples in `target` (kinect20, ntu25); any other pair is refused. */
export function convertSamples(samples: UserSample[], target: string, source: string): UserSample[] {
  if (!isMediapipeTarget(target))
    throw new RangeError(
      `--to-layout ${target}: no conversion to it (conversions: mediapipe33 -> ${MEDIAPIPE_TARGETS.join(', ')})`,
    );
  const layout = getLayout(target);
  return samples.map((s) => {
    if (s.layout.name !== 'mediapipe33')
      throw new RangeError(
        `${source}: sample '${s.id}': layout: ${s.layout.name}, but --to-layout converts mediapipe33 samples only`,
      );
    const data = mediapipeFramesTo(target, s.data, s.T, s.bodies);
    return { ...s, layout, joints: layout.joints.length, data };
  });
}

/** Users' JSON Lines -> cache. All samples must share one layout. */
export function buildJsonlCache(o: JsonlBuildOptions): BuildReport {
  const t0 = performance.now();
  const read = readUserJsonl(o.jsonl, o.layouts);
  if (read.length === 0) throw new RangeError(`${o.jsonl}: no samples`);
  const samples = o.toLayout ? convertSamples(read, o.toLayout, o.jsonl) : read;
  const layout = samples[0].layout;
  const other = samples.findIndex((s) => s.layout !== layout);
  if (other >= 0)
    throw new RangeError(
      `${o.jsonl}: sample '${samples[other].id}': layout: ${samples[other].layout.name}, but the first sample's is ${layout.name}; one cache holds one layout`,
    );
  const names =
    o.labels ??
    [
      ...new Set(samples.flatMap((s) => [s.label, ...(s.frameLabels ?? [])]).filter((l): l is string => l !== null)),
    ].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const bodies = o.bodies ?? Math.max(...samples.map((s) => s.bodies));
  const labels = names.map((name) => ({ name, ntuAction: ntuActionId(name) }));
  const writer = new CacheWriter({
    layout,
    bodies,
    labels,
    dtype: o.dtype,
    fps: samples[0].fps,
    source: {
      jsonl: o.jsonl,
      ...(o.toLayout ? { convertedFrom: 'mediapipe33' } : {}),
      split: typeof o.split === 'string' ? o.split : null,
      part: o.split ? (o.part ?? 'train') : null,
    },
  });
  for (const s of samples) {
    const label = s.label === null ? -1 : index.get(s.label);
    if (label === undefined)
      throw new RangeError(`${o.jsonl}: sample '${s.id}' has label '${s.label}', not in the label list`);
    writer.add({
      id: s.id,
      raw: keepBodies(s.data, s.T, s.bodies, s.joints, bodies),
      T: s.T,
      label,
      setup: s.setup,
      camera: s.camera,
      subject: s.subject,
      replication: s.take,
      recording: s.recording,
      split: s.split,
      frameLabels: s.frameLabels
        ? Int32Array.from(s.frameLabels, (l) => (l === null ? -1 : (index.get(l) ?? -1)))
        : undefined,
    });
    o.onProgress?.(writer.count, samples.length);
  }
  const skipped = { missingSkeleton: 0, otherPart: 0, otherAction: 0 };
  return finishBuild(writer, o, o.jsonl, labels, t0, samples.length, skipped);
}
