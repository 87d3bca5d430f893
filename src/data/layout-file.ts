// Users' own joint layouts: a small JSON file given to `indrnn data build --layout-file`, and the same
// layout written whole into caches and exported models (layoutJson), so that training, export and serving
// need nothing but the data or the model. In a layout file a joint may be named or given by its 0-based
// index; the stored form uses indices.
//
//   {"name": "hand5", "dims": 2,
//    "joints":   ["wrist", "thumb", "index", "middle", "ring", "little"],
//    "parents":  [null, "wrist", "wrist", "wrist", "wrist", "wrist"],
//    "root": ["wrist"], "torsoTop": ["middle"], "leftRight": [["thumb", "little"]]}
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { getLayout, isBuiltinLayout, type Layout } from './layouts.js';

const jointRef = z.union([z.number().int().min(0), z.string().min(1)]);

export const LayoutFileSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -')
    .refine((n) => !isBuiltinLayout(n), 'is the name of a built-in layout; choose another name'),
  description: z.string().max(500).optional(),
  /** 2: image keypoints [x, y] (z = 0); 3: [x, y, z]. */
  dims: z.union([z.literal(2), z.literal(3)]).default(3),
  joints: z.array(z.string().min(1).max(100)).min(1).max(1000),
  /** One per joint: the parent joint, or null / -1 for a root of the tree. */
  parents: z.array(z.union([jointRef, z.null(), z.literal(-1)])),
  /** Joints averaged to give the body's centre (the pelvis). */
  root: z.array(jointRef).min(1),
  /** Joints averaged to give the top of the torso (between the shoulders). */
  torsoTop: z.array(jointRef).min(1),
  /** [left, right] pairs: the sum of (left - right) points to the body's left. */
  leftRight: z.array(z.tuple([jointRef, jointRef])).min(1),
});

/** The stored form of any layout (built-in or not), in cache headers and model metadata. */
export interface LayoutJson {
  name: string;
  description: string;
  dims: 2 | 3;
  joints: string[];
  parents: number[];
  root: number[];
  torsoTop: number[];
  leftRight: [number, number][];
}

export function layoutJson(l: Layout): LayoutJson {
  return {
    name: l.name,
    description: l.description,
    dims: l.dims,
    joints: [...l.joints],
    parents: [...l.parents],
    root: [...l.root],
    torsoTop: [...l.torsoTop],
    leftRight: l.leftRight.map(([a, b]) => [a, b]),
  };
}

class LayoutError extends RangeError {}

/**
 * Validates a layout (a layout file's JSON or a stored layout); `where` (a file name) starts every
 * message, followed by the field: "hand.json: parents[3]: joint 'palm' is not in joints".
 */
export function parseLayout(json: unknown, where: string): Layout {
  const r = LayoutFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    const msg = `${where}: ${i.path.join('.').replace(/\.(\d+)/g, '[$1]') || '(layout)'}: ${i.message}`;
    throw i.code === 'invalid_type' ? new TypeError(msg) : new LayoutError(msg);
  }
  const f = r.data;
  const J = f.joints.length;
  const fail = (field: string, message: string): never => {
    throw new LayoutError(`${where}: ${field}: ${message}`);
  };
  const index = new Map<string, number>();
  f.joints.forEach((n, j) => {
    if (index.has(n)) fail(`joints[${j}]`, `'${n}' is already joints[${index.get(n)}]`);
    index.set(n, j);
  });
  const resolve = (ref: number | string, field: string): number => {
    if (typeof ref === 'number') return ref < J ? ref : fail(field, `joint ${ref} is outside 0..${J - 1}`);
    return index.get(ref) ?? fail(field, `joint '${ref}' is not in joints`);
  };
  if (f.parents.length !== J) fail('parents', `has ${f.parents.length} entries, joints has ${J}`);
  const parents = f.parents.map((p, j) => {
    const k = p === null || p === -1 ? -1 : resolve(p, `parents[${j}]`);
    return k === j ? fail(`parents[${j}]`, `joint '${f.joints[j]}' is its own parent`) : k;
  });
  if (!parents.includes(-1)) fail('parents', 'no root: give one joint the parent null');
  parents.forEach((_, j) => {
    let k = j;
    for (let steps = 0; k !== -1; steps++) {
      if (steps > J) fail(`parents[${j}]`, `joint '${f.joints[j]}' is in a cycle`);
      k = parents[k];
    }
  });
  const list = (refs: (number | string)[], field: string) => refs.map((x, i) => resolve(x, `${field}[${i}]`));
  const leftRight = f.leftRight.map(([l, r], i): [number, number] => {
    const pair: [number, number] = [resolve(l, `leftRight[${i}][0]`), resolve(r, `leftRight[${i}][1]`)];
    return pair[0] === pair[1] ? fail(`leftRight[${i}]`, 'left and right are the same joint') : pair;
  });
  return {
    name: f.name,
    description: f.description ?? `${f.name}: ${J} joints (user layout)`,
    dims: f.dims,
    joints: f.joints,
    parents,
    root: list(f.root, 'root'),
    torsoTop: list(f.torsoTop, 'torsoTop'),
    leftRight,
  };
}

/** Reads and validates a layout file; errors name the file and the field. */
export function readLayoutFile(path: string): Layout {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RangeError(`${path}: cannot read the layout file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseLayout(json, path);
}

/**
 * The layout a cache or a model names: a built-in one by name, any other from the stored form it
 * carries (`spec`). Caches and models from before custom layouts carry only a built-in name.
 */
export function storedLayout(name: string, spec: unknown, where: string): Layout {
  if (isBuiltinLayout(name)) return getLayout(name);
  if (spec === undefined || spec === null)
    throw new RangeError(`${where}: layout '${name}' is not built in, and no layout description comes with it`);
  const layout = parseLayout(spec, `${where} (layout)`);
  if (layout.name !== name)
    throw new RangeError(`${where}: layout is named '${name}', its description '${layout.name}'`);
  return layout;
}
