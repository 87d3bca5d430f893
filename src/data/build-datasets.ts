// Caches from the public data sets we have readers for: N-UCLA clips (kinect20, one body), PKU-MMD
// recordings (ntu25, two bodies), either cut into trimmed clips at their labelled intervals or kept whole
// with a label per frame (`untrimmed`, for online detection and streaming models), and Penn Action clips
// (penn13, 2D image keypoints, one body).

import { join } from 'node:path';
import { keepBodies } from './bodies.js';
import { type BuildReport, type CommonBuildOptions, finishBuild } from './build.js';
import { type CacheSample, CacheWriter, type CacheWriterOptions } from './cache.js';
import type { LabelInfo } from './cache-header.js';
import { getLayout, type LayoutName } from './layouts.js';
import { ntuActionId } from './ntu-actions.js';
import { listNuclaFiles, NUCLA_LABELS, readNuclaClip } from './nucla-reader.js';
import { listPennFiles, PENN_ACTIONS, PENN_VIEWS, readPennClip } from './penn-action-reader.js';
import { listPkuRecordings, PKU_FPS, readPkuActions, readPkuLabels, readPkuSkeleton } from './pku-mmd-reader.js';

const namedLabel = (name: string): LabelInfo => ({ name, ntuAction: ntuActionId(name) });

/** The writer of a cache read from the folder `o.raw`: its source names the format, the folder and the part kept. */
function folderWriter(o: NuclaBuildOptions, format: string, cache: CacheWriterOptions, more = {}): CacheWriter {
  const split = typeof o.split === 'string' ? o.split : null;
  const part = o.split ? (o.part ?? 'train') : null;
  return new CacheWriter({ ...cache, dtype: o.dtype, source: { format, raw: o.raw, ...more, split, part } });
}

export interface NuclaBuildOptions extends CommonBuildOptions {
  /** Folder of aAA_sSS_eEE_vVV.json clips. */
  raw: string;
}

/**
 * One sample per clip file of a one-person data set: `read` gives a file's sample with one body, padded
 * here to the bodies asked for.
 */
function buildOneBodyClips<F>(
  o: NuclaBuildOptions,
  cache: { format: string; layout: LayoutName; labels: LabelInfo[]; fps: number; more?: Record<string, unknown> },
  files: readonly F[],
  read: (f: F) => CacheSample,
): BuildReport {
  const t0 = performance.now();
  const bodies = o.bodies ?? 1;
  const { format, layout, labels, fps, more } = cache;
  const writer = folderWriter(o, format, { layout, bodies, labels, fps }, more);
  const J = getLayout(layout).joints.length;
  files.forEach((f, i) => {
    const s = read(f);
    writer.add({ ...s, raw: keepBodies(s.raw, s.T, 1, J, bodies) });
    o.onProgress?.(i + 1, files.length);
  });
  const skipped = { missingSkeleton: 0, otherPart: 0, otherAction: 0 };
  return finishBuild(writer, o, o.raw, labels, t0, files.length, skipped);
}

/** N-UCLA: one sample per clip; subject, take (as replication) and view (as camera) from the file name. */
export function buildNuclaCache(o: NuclaBuildOptions): BuildReport {
  const cache = { format: 'nucla', layout: 'kinect20', labels: NUCLA_LABELS.map(namedLabel), fps: 30 } as const;
  return buildOneBodyClips(o, cache, listNuclaFiles(o.raw), (f) => {
    const c = readNuclaClip(f);
    const meta = { camera: c.view, subject: c.subject, replication: c.take };
    return { id: c.id, raw: c.data, T: c.T, label: c.label, ...meta };
  });
}

/** Frames per second of Penn Action's clips (YouTube videos; the data set does not say). */
export const PENN_FPS = 30;

/**
 * Penn Action: one sample per clip (labels/NNNN.mat): the clip number as recording, the camera's side as
 * camera (PENN_VIEWS, 1-based), the data set's own half as split (`--split given`).
 */
export function buildPennActionCache(o: NuclaBuildOptions): BuildReport {
  const labels = PENN_ACTIONS.map(namedLabel);
  const cache = {
    format: 'penn-action',
    layout: 'penn13',
    labels,
    fps: PENN_FPS,
    more: { cameras: PENN_VIEWS },
  } as const;
  return buildOneBodyClips(o, cache, listPennFiles(o.raw), (f) => {
    const c = readPennClip(f);
    const meta = { camera: c.view, recording: c.clip, split: c.split };
    return { id: c.id, raw: c.data, T: c.T, label: c.label, ...meta };
  });
}

export interface PkuBuildOptions extends CommonBuildOptions {
  /** Folder with skeleton/, label/ and actions.csv. */
  raw: string;
  /** PKU-MMD class numbers (1-51) to keep, in label order; default every class that occurs. */
  classes?: number[];
  /** Whole recordings with a label per frame (-1 between actions) instead of trimmed clips. */
  untrimmed?: boolean;
}

/**
 * PKU-MMD: trimmed clips cut from the labelled intervals (frames start..end), or whole recordings with
 * per-frame labels. Labels are named as in actions.csv, with NTU action ids where the names match.
 */
export function buildPkuMmdCache(o: PkuBuildOptions): BuildReport {
  const t0 = performance.now();
  const names = readPkuActions(join(o.raw, 'actions.csv'));
  const recordings = listPkuRecordings(o.raw);
  const intervals = recordings.map((r) => readPkuLabels(r.labelPath));
  intervals.forEach((list, k) => {
    for (const iv of list)
      if (!names.has(iv.label))
        throw new RangeError(`${recordings[k].labelPath}: label ${iv.label} is not a class of actions.csv`);
  });
  const found = [...new Set(intervals.flat().map((iv) => iv.label))].sort((a, b) => a - b);
  const classes = o.classes ?? found;
  for (const c of classes)
    if (!names.has(c)) throw new RangeError(`--classes: ${c} is not a PKU-MMD class (1..${names.size})`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const labels = classes.map((c) => namedLabel(names.get(c)!));
  const bodies = o.bodies ?? 2;
  const cache = { layout: 'ntu25', bodies, labels, fps: PKU_FPS } as const;
  const writer = folderWriter(o, 'pku-mmd', cache, { classes, untrimmed: !!o.untrimmed });
  const J = getLayout('ntu25').joints.length;
  const skipped = { missingSkeleton: 0, otherPart: 0, otherAction: 0 };
  let considered = 0;
  recordings.forEach((r, k) => {
    const sk = readPkuSkeleton(r.skeletonPath);
    const data = keepBodies(sk.data, sk.T, 2, J, bodies);
    const D = bodies * J * 3;
    const meta = { camera: r.camera, recording: r.recording };
    if (o.untrimmed) {
      considered++;
      const frameLabels = new Int32Array(sk.T).fill(-1);
      for (const iv of intervals[k]) {
        const l = index.get(iv.label);
        if (l !== undefined) frameLabels.fill(l, iv.start, Math.min(iv.end + 1, sk.T));
      }
      writer.add({ id: r.id, raw: data, T: sk.T, label: -1, frameLabels, ...meta });
    } else {
      for (const iv of intervals[k]) {
        considered++;
        const l = index.get(iv.label);
        if (l === undefined) {
          skipped.otherAction++;
          continue;
        }
        const end = Math.min(iv.end + 1, sk.T);
        if (iv.start >= end)
          throw new RangeError(`${r.labelPath}: interval ${iv.start}-${iv.end} is past the last frame (${sk.T - 1})`);
        const id = `${r.id}_${String(iv.start).padStart(5, '0')}-${String(iv.end).padStart(5, '0')}_A${String(iv.label).padStart(2, '0')}`;
        writer.add({ id, raw: data.slice(iv.start * D, end * D), T: end - iv.start, label: l, ...meta });
      }
    }
    o.onProgress?.(k + 1, recordings.length);
  });
  return finishBuild(writer, o, o.raw, labels, t0, considered, skipped);
}
