// Users' own skeleton data: JSON Lines, one sample per line, any joint layout.
//
//   {"id": "clip-001", "label": "hand waving", "layout": "coco17", "fps": 30,
//    "frames": [ [[x, y, z], ... J joints], ... T frames ]}                 one body:  [T][J][2|3]
//    "frames": [ [ [[x, y, z], ... J], ... B bodies ], ... T frames ]}      several:   [T][B][J][2|3]
//
// Optional: "subject", "camera", "setup", "take", "recording" (integers), "split" ("train" | "test", for
// `--split given`), "frameLabels" (one label or null per frame, for continuous recordings). "layout" is a
// built-in layout or the name of one given with --layout-file. 2D keypoints, and every point of a 2D
// layout, get z = 0. A body that is absent in a frame is all zeros.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FLOAT32_MAX, outOfRange, parseWith } from '../util/json-fields.js';
import { getLayout, isBuiltinLayout, LAYOUT_NAMES, type Layout } from './layouts.js';

const id = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
export const UserSampleSchema = z.object({
  id: z.string().min(1).optional(),
  label: z.string().min(1).nullable().optional(),
  layout: z.string().min(1),
  fps: z.number().positive().optional(),
  subject: id.optional(),
  camera: id.optional(),
  setup: id.optional(),
  take: id.optional(),
  recording: id.optional(),
  split: z.enum(['train', 'test']).optional(),
  /** [T][J][2|3] or [T][B][J][2|3]; checked point by point below, so errors name the exact element. */
  frames: z.array(z.array(z.unknown())),
  frameLabels: z.array(z.string().nullable()).optional(),
});

export interface UserSample {
  id: string;
  /** Sample label; null for an unlabelled (stream) sample. */
  label: string | null;
  layout: Layout;
  fps: number;
  T: number;
  bodies: number;
  joints: number;
  /** [T, bodies, joints, 3] */
  data: Float32Array;
  subject: number;
  camera: number;
  setup: number;
  take: number;
  recording: number;
  split: 'train' | 'test' | undefined;
  /** [T] labels per frame (null = none), or null. */
  frameLabels: (string | null)[] | null;
}

/** Layouts a sample may name beyond the built-in ones (from --layout-file). */
export type UserLayouts = ReadonlyMap<string, Layout>;

function resolveLayout(name: string, layouts: UserLayouts, where: string): Layout {
  const own = layouts.get(name);
  if (own) return own;
  if (isBuiltinLayout(name)) return getLayout(name);
  const known = [...LAYOUT_NAMES, ...layouts.keys()].join(', ');
  throw new RangeError(
    `${where}: layout: '${name}' is not a known layout (known: ${known}); describe your own with --layout-file`,
  );
}

/** Validates one parsed JSON object; `where` ("file.jsonl line 3") prefixes every message. */
export function parseUserSample(json: unknown, where: string, layouts: UserLayouts = new Map()): UserSample {
  const s = parseWith(UserSampleSchema, json, where, '(sample)');
  const layout = resolveLayout(s.layout, layouts, where);
  const T = s.frames.length;
  if (T === 0) throw new RangeError(`${where}: frames is empty (a sample needs at least 1 frame)`);
  const first = s.frames[0][0];
  const multi = Array.isArray(first) && Array.isArray(first[0]);
  const frames = (multi ? s.frames : s.frames.map((f) => [f])) as unknown[][][];
  const B = frames[0].length;
  const J = layout.joints.length;
  const flat = layout.dims === 2;
  const data = new Float32Array(T * B * J * 3);
  frames.forEach((f, t) => {
    if (f.length !== B) throw new RangeError(`${where}: frames[${t}] has ${f.length} bodies, frames[0] has ${B}`);
    f.forEach((b, k) => {
      const field = `frames[${t}]${multi ? `[${k}]` : ''}`;
      if (!Array.isArray(b) || b.length !== J)
        throw new RangeError(
          `${where}: ${field}: expected ${J} joints (layout ${layout.name}), got ${Array.isArray(b) ? b.length : typeof b}`,
        );
      b.forEach((p: unknown, j: number) => {
        if (!Array.isArray(p) || p.length < 2 || p.length > 3)
          throw new RangeError(`${where}: ${field}[${j}]: expected a point [x, y] or [x, y, z]`);
        const at = ((t * B + k) * J + j) * 3;
        for (let c = 0; c < p.length; c++) {
          const v = p[c];
          if (typeof v !== 'number')
            throw new TypeError(`${where}: ${field}[${j}][${c}]: ${JSON.stringify(v)} is not a finite number`);
          // Beyond float32 (or read as Infinity, as 1e999 is), a coordinate would be stored as Infinity.
          if (!(Math.abs(v) <= FLOAT32_MAX))
            throw new RangeError(
              `${where}: ${field}[${j}][${c}]: ${outOfRange(v, 'a 32-bit float (at most ±3.4e38)')}`,
            );
          if (c < 2 || !flat) data[at + c] = v;
        }
      });
    });
  });
  if (s.frameLabels && s.frameLabels.length !== T) {
    throw new RangeError(`${where}: frameLabels has ${s.frameLabels.length} entries for ${T} frames`);
  }
  return {
    id: s.id ?? where,
    label: s.label ?? null,
    layout,
    fps: s.fps ?? 30,
    T,
    bodies: B,
    joints: J,
    data,
    subject: s.subject ?? 0,
    camera: s.camera ?? 0,
    setup: s.setup ?? 0,
    take: s.take ?? 0,
    recording: s.recording ?? 0,
    split: s.split,
    frameLabels: s.frameLabels ?? null,
  };
}

/** Reads a JSON Lines file (blank lines and lines starting with # are skipped). */
export function readUserJsonl(path: string, layouts: UserLayouts = new Map()): UserSample[] {
  const text = readFileSync(path, 'utf8');
  const out: UserSample[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    lineNo++;
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new SyntaxError(`${path} line ${lineNo}: not valid JSON (${(e as Error).message})`);
    }
    out.push(parseUserSample(json, `${path} line ${lineNo}`, layouts));
  }
  return out;
}
