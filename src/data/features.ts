// Input streams of a skeleton model (issue 26): joints, bones (joint minus its parent, from the layout's
// tree) and their motions (the difference between consecutive model steps), concatenated per step. They
// are computed after sampling, on the model's steps, by one stateful step shared by the trainer, HTTP
// predict, `indrnn predict` and live streams, so a rate-sampled stream fed step by step gets the numbers
// of the whole sequence. The model's contract keeps the list (preprocessing.features), the server takes
// the same joints as a joints-only model and computes the streams itself.
//
// Shapes: B = bodies, J = joints per body, D0 = B*J*3 values of one step's joints (preprocessed),
// F = streams, one step's model input [F * D0]: stream k at [k*D0, (k+1)*D0).
// A motion is 0 at the first step and for a body absent (all zeros) at this step or the one before.
import { z } from 'zod';
import { bodyAbsent } from './body-presence.js';

/** The streams in the order they are concatenated. */
export const FEATURE_STREAMS = ['joints', 'bones', 'motion', 'bone-motion'] as const;
export type FeatureStream = (typeof FEATURE_STREAMS)[number];

export const FeatureConfigSchema = z.object({
  /** Streams in FEATURE_STREAMS order, each once. */
  streams: z.array(z.enum(FEATURE_STREAMS)).min(1).max(FEATURE_STREAMS.length),
  /** parents[j] = the parent joint of j, -1 for a root (the layout's tree); needed by bones and bone-motion. */
  parents: z.array(z.number().int().min(-1)).optional(),
});
export type FeatureConfig = z.infer<typeof FeatureConfigSchema>;

/** True when the streams need the joint tree. */
function needsTree(streams: readonly FeatureStream[]): boolean {
  return streams.includes('bones') || streams.includes('bone-motion');
}

/**
 * '--features joints,bones,motion' -> the streams in FEATURE_STREAMS order; an unknown or repeated name is
 * refused, naming it.
 */
export function parseFeatureList(list: string): FeatureStream[] {
  const names = list.split(',').map((s) => s.trim());
  for (const [i, n] of names.entries()) {
    if (!(FEATURE_STREAMS as readonly string[]).includes(n))
      throw new RangeError(`unknown input stream '${n}' (known: ${FEATURE_STREAMS.join(', ')})`);
    if (names.indexOf(n) !== i) throw new RangeError(`input stream '${n}' is given twice`);
  }
  return FEATURE_STREAMS.filter((s) => names.includes(s));
}

/**
 * The config of `streams` for a layout with `parents` (null: a layout without a joint tree, refused when
 * bones are asked for); null for joints only, the input of models from before streams.
 */
export function featureConfig(
  streams: readonly FeatureStream[],
  parents: readonly number[] | null,
  layout: string,
): FeatureConfig | null {
  if (streams.length === 1 && streams[0] === 'joints') return null;
  if (!needsTree(streams)) return { streams: [...streams] };
  if (!parents || parents.length === 0)
    throw new RangeError(`input streams ${streams.join(',')}: layout ${layout} has no joint tree (parents) for bones`);
  return { streams: [...streams], parents: [...parents] };
}

/** Checks a config against J joints per body; the message names the field. */
export function featureConfigProblem(f: FeatureConfig, J: number): string | null {
  const order = FEATURE_STREAMS.filter((s) => f.streams.includes(s));
  if (order.length !== f.streams.length || order.some((s, i) => f.streams[i] !== s))
    return `features.streams: expected distinct streams in the order ${FEATURE_STREAMS.join(', ')}`;
  if (!needsTree(f.streams)) return null;
  if (!f.parents) return `features.parents: required for ${f.streams.join(',')}`;
  if (f.parents.length !== J) return `features.parents: has ${f.parents.length} entries, the layout has ${J} joints`;
  const bad = f.parents.findIndex((p, j) => p >= J || p === j);
  return bad < 0 ? null : `features.parents[${bad}]: ${f.parents[bad]} is not another joint (0..${J - 1})`;
}

/** Values of one model step: F streams of D0 = B*J*3 joints each. */
export function featureSize(f: FeatureConfig | null | undefined, D0: number): number {
  return (f ? f.streams.length : 1) * D0;
}

/** Streaming state: one per sequence (or live stream), fed the model's steps in order. */
export interface FeatureState {
  readonly config: FeatureConfig;
  readonly bodies: number;
  readonly joints: number;
  /** The previous step's joints [D0]. */
  readonly previous: Float32Array;
  /** Whether each body was present at the previous step [B] (0 before the first step). */
  readonly present: Uint8Array;
}

export function createFeatureState(config: FeatureConfig, bodies: number, joints: number): FeatureState {
  const D0 = bodies * joints * 3;
  return { config, bodies, joints, previous: new Float32Array(D0), present: new Uint8Array(bodies) };
}

/** A fresh start (a stream's reset): the next step has no motion. */
export function resetFeatureState(s: FeatureState): void {
  s.previous.fill(0);
  s.present.fill(0);
}

/**
 * One step's joints x[at .. at + D0) -> its streams dst[dstAt .. dstAt + F*D0), updating the state. No
 * allocation (the stream's hot path).
 */
export function featureStepAt(s: FeatureState, x: Float32Array, at: number, dst: Float32Array, dstAt: number): void {
  const { bodies: B, joints: J, previous: prev, present } = s;
  const { streams, parents } = s.config;
  const D0 = B * J * 3;
  for (let k = 0; k < streams.length; k++) {
    const stream = streams[k];
    const base = dstAt + k * D0;
    for (let b = 0; b < B; b++) {
      const off = b * J * 3;
      const moving = present[b] === 1 && !bodyAbsent(x, b, J, at);
      for (let j = 0; j < J; j++) {
        const p = parents ? parents[j] : -1;
        for (let c = 0; c < 3; c++) {
          const i = off + j * 3 + c;
          const pi = off + p * 3 + c;
          let v: number;
          if (stream === 'joints') v = x[at + i];
          else if (stream === 'bones') v = p < 0 ? 0 : x[at + i] - x[at + pi];
          else if (!moving) v = 0;
          else if (stream === 'motion') v = x[at + i] - prev[i];
          else v = p < 0 ? 0 : x[at + i] - x[at + pi] - (prev[i] - prev[pi]);
          dst[base + i] = v;
        }
      }
    }
  }
  for (let b = 0; b < B; b++) present[b] = bodyAbsent(x, b, J, at) ? 0 : 1;
  for (let i = 0; i < D0; i++) prev[i] = x[at + i];
}

/**
 * Whole sequence of steps x [T, D0] -> model input [T, F*D0], the same numbers as feeding featureStepAt
 * step by step; x itself when the config is null (joints only).
 */
export function featureSequence(
  config: FeatureConfig | null | undefined,
  bodies: number,
  joints: number,
  x: Float32Array,
  T: number,
): Float32Array {
  if (!config) return x;
  const D0 = bodies * joints * 3;
  if (x.length !== T * D0)
    throw new RangeError(`steps have ${x.length} values, expected T*B*J*3 = ${T}*${bodies}*${joints}*3`);
  const s = createFeatureState(config, bodies, joints);
  const F = config.streams.length;
  const out = new Float32Array(T * F * D0);
  for (let t = 0; t < T; t++) featureStepAt(s, x, t * D0, out, t * F * D0);
  return out;
}
