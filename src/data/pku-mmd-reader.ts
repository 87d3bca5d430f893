// PKU-MMD (phase 1) skeleton recordings and their action intervals:
//   skeleton/NNNN-V.txt   one line per frame: 150 numbers, 2 persons x 25 joints x (x, y, z) in metres
//                         (Kinect v2 = NTU joint order; the second person all zeros when absent)
//   label/NNNN-V.txt      one line per action instance: label,start,end,confidence (frames, 0-based,
//                         end included; label 1-51 as in actions.csv)
//   actions.csv           header "label,action", then one line per class: 1,"bow"
// V is the view: L, M or R (cameras 1, 2, 3). 30 frames per second.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PKU_FPS = 30;
const VALUES_PER_FRAME = 150; // 2 x 25 x 3
const NAME = /^(\d+)-([LMR])\.txt$/;
const VIEWS = { L: 1, M: 2, R: 3 } as const;

export interface PkuInterval {
  label: number;
  start: number;
  /** Last frame, included. */
  end: number;
  confidence: number;
}

export interface PkuRecordingFile {
  /** "0005-M" */
  id: string;
  recording: number;
  camera: number;
  skeletonPath: string;
  labelPath: string;
}

/** Lines of a text with their 1-based numbers, blank lines left out. */
function textLines(text: string): { text: string; line: number }[] {
  return text
    .split('\n')
    .map((t, i) => ({ text: t.trim(), line: i + 1 }))
    .filter((l) => l.text !== '');
}

/** Lines of a text file with their 1-based numbers, blank lines left out. */
function lines(path: string): { text: string; line: number }[] {
  return textLines(readFileSync(path, 'utf8'));
}

/** Splits one CSV line, honouring double quotes ("a, b" is one field; "" inside quotes is a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

/** actions.csv -> class names by label (1-based). */
export function readPkuActions(path: string): Map<number, string> {
  if (!existsSync(path)) throw new RangeError(`${path}: no such file (PKU-MMD's class list, actions.csv)`);
  const out = new Map<number, string>();
  for (const { text, line } of lines(path)) {
    const [label, name] = csvFields(text);
    if (line === 1 && label === 'label') continue;
    const n = Number(label);
    if (!/^\d+$/.test(label) || n < 1)
      throw new RangeError(`${path} line ${line}: label: '${label}' is not a class number`);
    if (!name) throw new RangeError(`${path} line ${line}: action: missing class name`);
    if (out.has(n)) throw new RangeError(`${path} line ${line}: label: class ${n} is listed twice`);
    out.set(n, name);
  }
  if (out.size === 0) throw new RangeError(`${path}: no classes`);
  return out;
}

/** A label file -> its intervals; errors name the file, line and field. */
export function readPkuLabels(path: string): PkuInterval[] {
  const fields = ['label', 'start', 'end', 'confidence'] as const;
  return lines(path).map(({ text, line }) => {
    const parts = text.split(',').map((s) => s.trim());
    if (parts.length < 3 || parts.length > 4)
      throw new RangeError(`${path} line ${line}: expected label,start,end,confidence, got '${text}'`);
    const v = parts.map((p, k) => {
      if (!/^\d+$/.test(p)) throw new RangeError(`${path} line ${line}: ${fields[k]}: '${p}' is not a whole number`);
      return Number(p);
    });
    if (v[2] < v[1]) throw new RangeError(`${path} line ${line}: end: ${v[2]} is before start ${v[1]}`);
    return { label: v[0], start: v[1], end: v[2], confidence: v[3] ?? 0 };
  });
}

/** One recording's skeletons -> [T, 2, 25, 3]; errors name the file, line and value. */
export function readPkuSkeleton(path: string): { T: number; data: Float32Array } {
  return parsePkuSkeleton(readFileSync(path, 'utf8'), path);
}

/** The text of a skeleton file -> [T, 2, 25, 3]; errors name `path` (the file's name), line and value. */
export function parsePkuSkeleton(text: string, path: string): { T: number; data: Float32Array } {
  const ls = textLines(text);
  const data = new Float32Array(ls.length * VALUES_PER_FRAME);
  ls.forEach(({ text, line }, t) => {
    const parts = text.split(/\s+/);
    if (parts.length !== VALUES_PER_FRAME)
      throw new RangeError(
        `${path} line ${line}: expected ${VALUES_PER_FRAME} numbers (2 persons x 25 joints x 3), got ${parts.length}`,
      );
    for (let k = 0; k < VALUES_PER_FRAME; k++) {
      const x = Number(parts[k]);
      if (!Number.isFinite(x))
        throw new RangeError(`${path} line ${line}: value ${k + 1}: '${parts[k]}' is not a number`);
      data[t * VALUES_PER_FRAME + k] = x;
    }
  });
  return { T: ls.length, data };
}

/** The recordings of a PKU-MMD folder (skeleton/ and label/ side by side), sorted by name. */
export function listPkuRecordings(dir: string): PkuRecordingFile[] {
  const skel = join(dir, 'skeleton');
  const lab = join(dir, 'label');
  for (const d of [skel, lab])
    if (!existsSync(d)) throw new RangeError(`${d}: no such folder (expected PKU-MMD's skeleton/ and label/)`);
  const out = readdirSync(skel)
    .sort()
    .flatMap((f) => {
      const m = NAME.exec(f);
      if (!m) return [];
      const labelPath = join(lab, f);
      if (!existsSync(labelPath)) throw new RangeError(`${labelPath}: no label file for ${join(skel, f)}`);
      const view = m[2] as keyof typeof VIEWS;
      return [
        { id: f.slice(0, -4), recording: Number(m[1]), camera: VIEWS[view], skeletonPath: join(skel, f), labelPath },
      ];
    });
  if (out.length === 0) throw new RangeError(`${skel}: no recordings (files named NNNN-M.txt)`);
  return out;
}
