// Building dataset caches: a folder of NTU `.skeleton` files (real or synthetic), or a users' JSON Lines
// file, into one binary cache (cache.ts), optionally restricted to one part of a standard split.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { selectBodies } from './bodies.js';
import { type CacheHeader, CacheWriter, type LabelInfo } from './cache.js';
import { getLayout } from './layouts.js';
import { ntuActionId, ntuActionName } from './ntu-actions.js';
import { type NtuSampleName, parseNtuName, sampleId } from './ntu-name.js';
import { readSkeletonFile } from './ntu-reader.js';
import { hasMissingSkeleton, type SplitName, type SplitPart, splitPart } from './splits.js';
import { fitBodies, readUserJsonl } from './user-format.js';

export interface BuildOptions {
  /** Folder of `SsssCcccPpppRrrrAaaa.skeleton` files. */
  raw: string;
  /** Cache file to write. */
  out: string;
  /** Keep one part of a split; without it, all samples. */
  split?: SplitName;
  part?: SplitPart;
  /** Leave out NTU-60's 302 samples with missing skeletons. Default true for real data, false for a synthetic folder (one with dataset.json). */
  excludeMissing?: boolean;
  /** NTU action ids that make the label list (label index = position). Default: the synthetic manifest's, else all found. */
  actions?: number[];
  /** Bodies per frame. Default 2. */
  bodies?: number;
  dtype?: 'int16' | 'float32';
  /** Stop after this many samples (quick experiments). */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BuildReport {
  header: CacheHeader;
  considered: number;
  skipped: { missingSkeleton: number; otherPart: number; otherAction: number };
  seconds: number;
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
  if (files.length === 0) throw new RangeError(`${dir}: no .skeleton files`);
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
  const writer = new CacheWriter({
    layout: 'ntu25',
    bodies,
    labels: labelsFor(actions),
    dtype: o.dtype,
    source: { raw: o.raw, split: o.split ?? null, part: o.part ?? null, excludeMissing, synthetic: synthetic !== null },
  });
  const skipped = { missingSkeleton: 0, otherPart: 0, otherAction: 0 };
  const skipReason = (f: RawFile): keyof typeof skipped | null => {
    if (excludeMissing && hasMissingSkeleton(f.id)) return 'missingSkeleton';
    if (o.split && splitPart(f.name, o.split) !== (o.part ?? 'train')) return 'otherPart';
    if (f.name.action !== 0 && !index.has(f.name.action)) return 'otherAction';
    return null;
  };
  const chosen = files.filter((f) => {
    const why = skipReason(f);
    if (why) skipped[why]++;
    return why === null;
  });
  const take = chosen.slice(0, o.limit ?? chosen.length);
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
  if (writer.count === 0) throw new RangeError(`${o.raw}: no sample left after filtering (${JSON.stringify(skipped)})`);
  const header = writer.write(o.out);
  return { header, considered: files.length, skipped, seconds: (performance.now() - t0) / 1000 };
}

export interface JsonlBuildOptions {
  jsonl: string;
  out: string;
  /** Bodies per frame in the cache; default the most any sample has. */
  bodies?: number;
  /** Class names in label-index order; default sorted names found. */
  labels?: string[];
  dtype?: 'int16' | 'float32';
}

/** Users' JSON Lines -> cache. All samples must share one layout. */
export function buildJsonlCache(o: JsonlBuildOptions): BuildReport {
  const t0 = performance.now();
  const samples = readUserJsonl(o.jsonl);
  if (samples.length === 0) throw new RangeError(`${o.jsonl}: no samples`);
  const layout = samples[0].layout;
  const other = samples.find((s) => s.layout !== layout);
  if (other)
    throw new RangeError(
      `${o.jsonl}: sample '${other.id}' has layout ${other.layout}, the first sample ${layout}; one cache holds one layout`,
    );
  const names =
    o.labels ??
    [
      ...new Set(samples.flatMap((s) => [s.label, ...(s.frameLabels ?? [])]).filter((l): l is string => l !== null)),
    ].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const bodies = o.bodies ?? Math.max(...samples.map((s) => s.bodies));
  const writer = new CacheWriter({
    layout,
    bodies,
    labels: names.map((name) => ({ name, ntuAction: ntuActionId(name) })),
    dtype: o.dtype,
    fps: samples[0].fps,
    source: { jsonl: o.jsonl },
  });
  for (const s of samples) {
    const label = s.label === null ? -1 : index.get(s.label);
    if (label === undefined)
      throw new RangeError(`${o.jsonl}: sample '${s.id}' has label '${s.label}', not in the label list`);
    writer.add({
      id: s.id,
      raw: fitBodies(s, bodies),
      T: s.T,
      label,
      setup: s.setup,
      camera: s.camera,
      subject: s.subject,
      frameLabels: s.frameLabels
        ? Int32Array.from(s.frameLabels, (l) => (l === null ? -1 : (index.get(l) ?? -1)))
        : undefined,
    });
  }
  const header = writer.write(o.out);
  return {
    header,
    considered: samples.length,
    skipped: { missingSkeleton: 0, otherPart: 0, otherAction: 0 },
    seconds: (performance.now() - t0) / 1000,
  };
}
