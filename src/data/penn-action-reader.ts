// Penn Action (Zhang, Zhu and Derpanis, ICCV 2013): 2,326 YouTube clips of 15 sports and exercise actions
// with 13 joints annotated in every frame, in image pixels. One MATLAB 5 file per clip, labels/NNNN.mat
// (mat5.ts), holding: action (text), pose (the side the camera sees: front, back, left, right), x and y
// (T x 13, pixels, x to the right, y DOWN), visibility (T x 13, 1 = visible), bbox (T x 4), dimensions
// (height, width, frames), nframes, train (1 = the training half, -1 the test half).
//
// Joints hidden from the camera still have positions (estimated by the annotators, marked in visibility):
// they are kept as they are, since a cache holds a position for every joint. A frame whose 13 joints are all at (0, 0)
// (one frame of the training half) is an absent body. Positions are stored as given (layout penn13,
// y down, z = 0): the 2D preprocessing (centring, scale, no view alignment) does not depend on the
// direction of y, and pose estimators give the same image coordinates.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getLayout } from './layouts.js';
import { type MatVariable, readMat5 } from './mat5.js';

/** The 15 actions, in label order (the dataset's names with spaces for underscores). */
export const PENN_ACTIONS = [
  'baseball pitch',
  'baseball swing',
  'bench press',
  'bowl',
  'clean and jerk',
  'golf swing',
  'jump rope',
  'jumping jacks',
  'pullup',
  'pushup',
  'situp',
  'squat',
  'strum guitar',
  'tennis forehand',
  'tennis serve',
] as const;

/** The camera's side (`pose`), stored as the cache's camera: 0 for a value not listed. */
export const PENN_VIEWS = ['front', 'back', 'left', 'right'] as const;

const JOINTS = getLayout('penn13').joints.length;
const NAME = /^(\d+)\.mat$/;

export interface PennFile {
  path: string;
  /** "0002" */
  id: string;
  /** The clip's number (2). */
  clip: number;
}

export interface PennClip {
  id: string;
  clip: number;
  /** 0-based index into PENN_ACTIONS. */
  label: number;
  /** 1-based index into PENN_VIEWS, 0 when not one of them. */
  view: number;
  /** The dataset's own half. */
  split: 'train' | 'test';
  T: number;
  /** [T, 13, 3] pixels (x, y, 0). */
  data: Float32Array;
}

/** The clips of a folder of NNNN.mat files, or of the folder holding it as labels/; sorted. */
export function listPennFiles(dir: string): PennFile[] {
  if (!existsSync(dir)) throw new RangeError(`${dir}: no such folder`);
  const labels = join(dir, 'labels');
  const folder = existsSync(labels) && statSync(labels).isDirectory() ? labels : dir;
  const files = readdirSync(folder)
    .sort()
    .flatMap((f) => {
      const m = NAME.exec(f);
      return m ? [{ path: join(folder, f), id: m[1], clip: Number(m[1]) }] : [];
    });
  if (files.length === 0)
    throw new RangeError(`${dir}: no Penn Action clips (files named NNNN.mat, here or in labels/)`);
  return files;
}

/** The variables of a clip by name; errors name the file and the variable. */
class ClipVariables {
  private readonly byName: Map<string, MatVariable>;
  constructor(
    readonly path: string,
    variables: MatVariable[],
  ) {
    this.byName = new Map(variables.map((v) => [v.name, v]));
  }

  private get(name: string): MatVariable {
    const v = this.byName.get(name);
    if (!v) throw new RangeError(`${this.path}: no variable '${name}' (has: ${[...this.byName.keys()].join(', ')})`);
    return v;
  }

  text(name: string): string {
    const v = this.get(name);
    if (v.kind !== 'char') throw new RangeError(`${this.path}: ${name}: expected text, got ${describe(v)}`);
    return v.text;
  }

  /** A numeric array with `cols` columns (any number of rows): [rows, data] (column-major). */
  matrix(name: string, cols: number): { rows: number; data: Float64Array } {
    const v = this.get(name);
    if (v.kind !== 'numeric' || v.dims.length !== 2 || v.dims[1] !== cols)
      throw new RangeError(`${this.path}: ${name}: expected a T x ${cols} numeric array, got ${describe(v)}`);
    return { rows: v.dims[0], data: v.data };
  }

  scalar(name: string): number {
    const v = this.get(name);
    if (v.kind !== 'numeric' || v.data.length !== 1)
      throw new RangeError(`${this.path}: ${name}: expected one number, got ${describe(v)}`);
    return v.data[0];
  }
}

function describe(v: MatVariable): string {
  const size = v.dims.join(' x ');
  if (v.kind === 'numeric') return `a ${size} ${v.class} array`;
  if (v.kind === 'char') return `text (${size})`;
  return `a ${size} ${v.what}`;
}

/** Reads one clip; errors name the file and the variable ("0002.mat: x: expected a T x 13 ..."). */
export function readPennClip(f: PennFile): PennClip {
  const vars = new ClipVariables(f.path, readMat5(readFileSync(f.path), f.path));
  const action = vars.text('action').trim();
  const label = (PENN_ACTIONS as readonly string[]).indexOf(action.replaceAll('_', ' '));
  if (label < 0)
    throw new RangeError(`${f.path}: action: '${action}' is not a Penn Action action (${PENN_ACTIONS.join(', ')})`);
  const x = vars.matrix('x', JOINTS);
  const y = vars.matrix('y', JOINTS);
  const T = x.rows;
  if (T === 0) throw new RangeError(`${f.path}: x: no frames`);
  if (y.rows !== T) throw new RangeError(`${f.path}: y has ${y.rows} frames, x has ${T}`);
  const nframes = vars.scalar('nframes');
  if (nframes !== T) throw new RangeError(`${f.path}: nframes is ${nframes}, but x and y have ${T} frames`);
  const data = new Float32Array(T * JOINTS * 3);
  const put = (name: string, values: Float64Array, c: number) => {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < JOINTS; j++) {
        const v = values[j * T + t]; // column-major
        if (!Number.isFinite(Math.fround(v)))
          throw new RangeError(`${f.path}: ${name}(${t + 1}, ${j + 1}): ${v} is not a finite number`);
        data[(t * JOINTS + j) * 3 + c] = v;
      }
    }
  };
  put('x', x.data, 0);
  put('y', y.data, 1);
  const view = (PENN_VIEWS as readonly string[]).indexOf(vars.text('pose').trim()) + 1;
  const split = vars.scalar('train') === 1 ? 'train' : 'test';
  return { id: f.id, clip: f.clip, label, view, split, T, data };
}
