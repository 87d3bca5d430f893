// Writing a whole synthetic dataset: one `.skeleton` file per (performer, camera, replication, action),
// optional continuous streams with per-frame labels, and a manifest (dataset.json). The work is split
// over worker threads; every file depends only on the seed and its own name, so the output is the same
// for any number of workers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { isMutualAction, ntuActionName } from '../ntu-actions.js';
import { formatNtuName, type NtuSampleName } from '../ntu-name.js';
import { formatSkeleton } from '../ntu-writer.js';
import { NTU60_XSUB_TRAIN } from '../splits.js';
import { synthAction } from './actions.js';
import { DEFAULT_ACTIONS, FPS, generateStream, generateViews } from './generate.js';

export interface SynthOptions {
  /** Output folder (created). */
  out: string;
  seed: number;
  /** Performers P001..P<subjects>. Default 40. */
  subjects?: number;
  /** Cameras (1-3). Default [1, 2, 3]. */
  cameras?: number[];
  /** Replications per performer and action. Default 2. */
  replications?: number;
  /** NTU action ids. Default: all synthetic actions. */
  actions?: number[];
  /** Continuous recordings to write under streams/. Default 0. */
  streams?: number;
  /** Length of each stream, seconds. Default 60. */
  streamSeconds?: number;
  /** Worker threads; 1 runs in this thread. Default: min(4, CPUs). */
  jobs?: number;
  /** Files written so far, of all (a stream's .labels file not counted). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthReport {
  dir: string;
  files: number;
  streams: number;
  frames: number;
  bytes: number;
  seconds: number;
}

/** A unit of work: one performance (all its cameras) or one stream. */
export type SynthItem =
  | { kind: 'sample'; n: Omit<NtuSampleName, 'camera'>; cameras: number[] }
  | { kind: 'stream'; n: NtuSampleName; seconds: number; actions: number[] };

/** The .skeleton files an item writes: one per camera, or the stream's one. */
export function filesOf(item: SynthItem): number {
  return item.kind === 'sample' ? item.cameras.length : 1;
}

/** NTU-60 has 17 setups; performer p is recorded in setup 1 + (p - 1) mod 17. */
export function setupOfPerformer(p: number): number {
  return 1 + ((p - 1) % 17);
}

/** The options with their defaults. */
type Resolved = Required<Omit<SynthOptions, 'jobs' | 'onProgress'>>;

function resolve(o: SynthOptions): Resolved {
  const r: Resolved = {
    out: o.out,
    seed: o.seed,
    subjects: o.subjects ?? 40,
    cameras: o.cameras ?? [1, 2, 3],
    replications: o.replications ?? 2,
    actions: o.actions ?? [...DEFAULT_ACTIONS],
    streams: o.streams ?? 0,
    streamSeconds: o.streamSeconds ?? 60,
  };
  if (!Number.isInteger(r.seed)) throw new TypeError(`seed must be an integer, got ${r.seed}`);
  if (!Number.isInteger(r.subjects) || r.subjects < 1 || r.subjects > 999)
    throw new RangeError(`subjects must be in 1..999, got ${r.subjects}`);
  for (const c of r.cameras) if (![1, 2, 3].includes(c)) throw new RangeError(`camera ${c} is not one of 1, 2, 3`);
  if (!Number.isInteger(r.replications) || r.replications < 1 || r.replications > 999)
    throw new RangeError(`replications must be in 1..999, got ${r.replications}`);
  for (const a of r.actions) synthAction(a); // throws for an unknown id
  if (!(r.streamSeconds > 0)) throw new RangeError(`stream length must be > 0 s, got ${r.streamSeconds}`);
  return r;
}

/** Performers not in the NTU-60 cross-subject training set, so that streams test unseen people. */
function streamPerformers(subjects: number): number[] {
  const test = Array.from({ length: subjects }, (_, i) => i + 1).filter((p) => !NTU60_XSUB_TRAIN.has(p));
  return test.length > 0 ? test : [1];
}

/** The work list, in a fixed order. */
export function planSynth(o: SynthOptions): SynthItem[] {
  const r = resolve(o);
  const items: SynthItem[] = [];
  for (let p = 1; p <= r.subjects; p++) {
    for (let rep = 1; rep <= r.replications; rep++) {
      for (const a of r.actions) {
        items.push({
          kind: 'sample',
          n: { setup: setupOfPerformer(p), performer: p, replication: rep, action: a },
          cameras: r.cameras,
        });
      }
    }
  }
  const performers = streamPerformers(r.subjects);
  for (let k = 1; k <= r.streams; k++) {
    const p = performers[(k - 1) % performers.length];
    const n = {
      setup: setupOfPerformer(p),
      camera: r.cameras[(k - 1) % r.cameras.length],
      performer: p,
      replication: k,
      action: 0,
    };
    items.push({ kind: 'stream', n, seconds: r.streamSeconds, actions: r.actions });
  }
  return items;
}

interface ItemResult {
  files: number;
  frames: number;
  bytes: number;
}

function writeText(path: string, text: string): number {
  try {
    writeFileSync(path, text, 'latin1');
  } catch (e) {
    throw new Error(`${path}: could not write it (${(e as Error).message})`);
  }
  return text.length;
}

/** Generates and writes one item; used by the main thread and by the workers. */
export function runItem(out: string, seed: number, item: SynthItem): ItemResult {
  const res: ItemResult = { files: 0, frames: 0, bytes: 0 };
  if (item.kind === 'sample') {
    for (const sk of generateViews(seed, item.n, item.cameras)) {
      res.bytes += writeText(join(out, sk.source), formatSkeleton(sk));
      res.frames += sk.frames.length;
      res.files++;
    }
  } else {
    const { skeleton, labels } = generateStream(seed, item.n, item.seconds, item.actions);
    const dir = join(out, 'streams');
    res.bytes += writeText(join(dir, skeleton.source), formatSkeleton(skeleton));
    writeText(join(dir, `${formatNtuName(item.n)}.labels`), `${Array.from(labels).join('\n')}\n`);
    res.frames += skeleton.frames.length;
    res.files++;
  }
  return res;
}

function runInThread(r: Resolved, items: SynthItem[], onProgress?: SynthOptions['onProgress']): ItemResult {
  const total: ItemResult = { files: 0, frames: 0, bytes: 0 };
  const files = items.reduce((sum, item) => sum + filesOf(item), 0);
  for (const item of items) {
    const res = runItem(r.out, r.seed, item);
    total.files += res.files;
    total.frames += res.frames;
    total.bytes += res.bytes;
    onProgress?.(total.files, files);
  }
  return total;
}

function runInWorkers(
  r: Resolved,
  items: SynthItem[],
  jobs: number,
  onProgress?: SynthOptions['onProgress'],
): Promise<ItemResult> {
  let done = 0;
  const files = items.reduce((sum, item) => sum + filesOf(item), 0);
  const total: ItemResult = { files: 0, frames: 0, bytes: 0 };
  const parts = Array.from({ length: jobs }, (_, k) => items.filter((_, i) => i % jobs === k));
  return Promise.all(
    parts.map(
      (part) =>
        new Promise<void>((resolveP, reject) => {
          const w = new Worker(new URL('./worker.js', import.meta.url), {
            workerData: { out: r.out, seed: r.seed, items: part },
          });
          w.on('message', (m: { progress?: number; result?: ItemResult }) => {
            if (m.progress) {
              done += m.progress;
              onProgress?.(done, files);
            }
            if (m.result) {
              total.files += m.result.files;
              total.frames += m.result.frames;
              total.bytes += m.result.bytes;
            }
          });
          w.on('error', reject);
          w.on('exit', (code) =>
            code === 0 ? resolveP() : reject(new Error(`synth worker exited with code ${code}`)),
          );
        }),
    ),
  ).then(() => total);
}

/** Writes the dataset and its manifest; returns counts and timing. */
export async function writeSynthDataset(o: SynthOptions): Promise<SynthReport> {
  const r = resolve(o);
  const t0 = performance.now();
  mkdirSync(r.out, { recursive: true });
  if (r.streams > 0) mkdirSync(join(r.out, 'streams'), { recursive: true });
  const items = planSynth(o);
  const jobs = Math.max(1, Math.min(o.jobs ?? Math.min(4, cpus().length), items.length));
  const res = jobs === 1 ? runInThread(r, items, o.onProgress) : await runInWorkers(r, items, jobs, o.onProgress);
  writeFileAtomic(join(r.out, 'dataset.json'), `${JSON.stringify(manifest(r), null, 2)}\n`);
  return {
    dir: r.out,
    files: res.files - r.streams,
    streams: r.streams,
    frames: res.frames,
    bytes: res.bytes,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The manifest `indrnn data build` reads for the class list (label index = position in `actions`). */
export interface SynthManifest {
  format: 'indrnn-synthetic-ntu';
  version: 1;
  generator: string;
  seed: number;
  fps: number;
  subjects: number;
  cameras: number[];
  replications: number;
  actions: { ntuAction: number; name: string; persons: number }[];
  streams: { count: number; seconds: number; dir: string; labels: string };
}

function manifest(r: Resolved): SynthManifest {
  return {
    format: 'indrnn-synthetic-ntu',
    version: 1,
    generator: 'indrnn data synth',
    seed: r.seed,
    fps: FPS,
    subjects: r.subjects,
    cameras: r.cameras,
    replications: r.replications,
    actions: [...r.actions]
      .sort((a, b) => a - b)
      .map((a) => ({ ntuAction: a, name: ntuActionName(a), persons: isMutualAction(a) ? 2 : 1 })),
    streams: {
      count: r.streams,
      seconds: r.streamSeconds,
      dir: 'streams',
      labels: 'one NTU action id per frame, 0 = between actions',
    },
  };
}
