// Northwestern-UCLA Multiview Action 3D (N-UCLA) skeleton clips, as distributed with several public
// action-recognition codes: one JSON file per trimmed clip, named aAA_sSS_eEE_vVV.json (action, subject,
// take, view), holding {"file_name": ..., "skeletons": [T][20][3], "label": 1..10}. Positions are metres in
// the Kinect v1 camera space, joints in the Kinect SDK v1 order (layout kinect20), one person per clip.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FLOAT32_MAX, outOfRange } from '../util/json-fields.js';

/** Label names of N-UCLA's labels 1..10: the actions a01-a12 without a07 and a10. */
export const NUCLA_LABELS = [
  'pick up with one hand',
  'pick up with two hands',
  'drop trash',
  'walk around',
  'sit down',
  'stand up',
  'donning',
  'doffing',
  'throw',
  'carry',
] as const;

/** N-UCLA action number (a01..a12) -> label 1..10 (a07 and a10 are not in the data set). */
const ACTION_TO_LABEL: Readonly<Record<number, number>> = {
  1: 1,
  2: 2,
  3: 3,
  4: 4,
  5: 5,
  6: 6,
  8: 7,
  9: 8,
  11: 9,
  12: 10,
};
const JOINTS = 20;
const NAME = /^a(\d+)_s(\d+)_e(\d+)_v(\d+)\.json$/;

export interface NuclaClip {
  /** File name without .json. */
  id: string;
  /** 0-based label index into NUCLA_LABELS. */
  label: number;
  subject: number;
  take: number;
  view: number;
  T: number;
  /** [T, 20, 3] metres. */
  data: Float32Array;
}

export interface NuclaFile {
  path: string;
  id: string;
  action: number;
  subject: number;
  take: number;
  view: number;
}

/** The clip files of a folder, sorted; other files are ignored, a folder without clips is an error. */
export function listNuclaFiles(dir: string): NuclaFile[] {
  if (!existsSync(dir)) throw new RangeError(`${dir}: no such folder`);
  const files = readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const m = NAME.exec(f);
      if (!m) return [];
      const [action, subject, take, view] = m.slice(1).map(Number);
      return [{ path: join(dir, f), id: f.slice(0, -'.json'.length), action, subject, take, view }];
    });
  if (files.length === 0) throw new RangeError(`${dir}: no N-UCLA clips (files named aAA_sSS_eEE_vVV.json)`);
  return files;
}

const ClipSchema = z.object({
  file_name: z.string().optional(),
  skeletons: z.array(z.unknown()).min(1),
  label: z.number().int().min(1).max(10),
});

/** Reads one clip; errors name the file and the field ("a01_s01_e00_v01.json: skeletons[3][5]: ..."). */
export function readNuclaClip(f: NuclaFile): NuclaClip {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(f.path, 'utf8'));
  } catch (e) {
    throw new SyntaxError(`${f.path}: not valid JSON (${(e as Error).message})`);
  }
  const r = ClipSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RangeError(`${f.path}: ${i.path.join('.') || '(clip)'}: ${i.message}`);
  }
  const { skeletons, label } = r.data;
  const expected = ACTION_TO_LABEL[f.action];
  const action = `a${String(f.action).padStart(2, '0')}`;
  if (expected === undefined) throw new RangeError(`${f.path}: action ${action} is not an N-UCLA action`);
  if (label !== expected)
    throw new RangeError(`${f.path}: label: ${label}, but action ${action} in the file name is label ${expected}`);
  const T = skeletons.length;
  const data = new Float32Array(T * JOINTS * 3);
  skeletons.forEach((frame, t) => {
    if (!Array.isArray(frame) || frame.length !== JOINTS)
      throw new RangeError(
        `${f.path}: skeletons[${t}]: expected ${JOINTS} joints, got ${Array.isArray(frame) ? frame.length : typeof frame}`,
      );
    frame.forEach((p: unknown, j: number) => {
      if (!Array.isArray(p) || p.length !== 3)
        throw new RangeError(`${f.path}: skeletons[${t}][${j}]: expected [x, y, z]`);
      for (let c = 0; c < 3; c++) {
        const v = p[c];
        const at = `${f.path}: skeletons[${t}][${j}][${c}]`;
        if (typeof v !== 'number') throw new RangeError(`${at}: ${JSON.stringify(v)} is not a number`);
        if (!(Math.abs(v) <= FLOAT32_MAX))
          throw new RangeError(`${at}: ${outOfRange(v, 'a 32-bit float (at most ±3.4e38)')}`);
        data[(t * JOINTS + j) * 3 + c] = v;
      }
    });
  });
  return { id: f.id, label: label - 1, subject: f.subject, take: f.take, view: f.view, T, data };
}
