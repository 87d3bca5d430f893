// Preprocessing shared by the trainer, the exporter's metadata and the server: what the model saw in
// training is exactly what it sees in production.
//
// Shapes: T = frames, B = bodies, J = joints per body, D = B*J*3 values per model input frame.
//   raw sequence   Float32Array [T, B, J, 3]  (camera-space metres; an absent body is all zeros)
//   model input    Float32Array [T, D]        (D = 150 for NTU with 2 bodies)
//
// Causal by construction: every reference (origin, rotation, scale) is taken from the first frame in
// which body 0 is present, so frame t depends on frames <= t only, and a live stream fed frame by frame
// through PreprocessState gives the same numbers as the whole sequence (preprocessSequence is that loop).
// Body 0 is the sensor's first body, or the first in the canonical order of cfg.bodyOrder (body-order.ts,
// decided from one frame too).
import { z } from 'zod';
import {
  BODY_ORDER_RULES,
  type BodyOrderRule,
  type BodyOrderState,
  createBodyOrder,
  decideBodyOrder,
} from './body-order.js';
import { bodyAbsent } from './body-presence.js';
import { type FeatureConfig, FeatureConfigSchema, featureConfigProblem, featureSize } from './features.js';
import { getLayout, isBuiltinLayout, type Layout, type LayoutName } from './layouts.js';

export const PreprocessConfigSchema = z.object({
  version: z.literal(1),
  /** Joint layout of the data: a built-in name (layouts.ts) or a user layout's name (layout-file.ts). */
  layout: z.string().min(1).max(64),
  /** Joints per body J (needed for user layouts; built-in layouts know theirs). */
  joints: z.number().int().min(1).max(1000).optional(),
  /** 2: the data are 2D keypoints, z is 0 (absent: 3). */
  dims: z.union([z.literal(2), z.literal(3)]).optional(),
  /** Bodies per frame B. */
  bodies: z.number().int().min(1).max(8),
  /** Joints averaged to give the root; body 0's root is the origin. */
  root: z.array(z.number().int().min(0)).min(1),
  /** Joints averaged to give the top of the torso (for scale and 'full' alignment). */
  torsoTop: z.array(z.number().int().min(0)).min(1),
  /** [left, right] joint pairs; the sum of (left - right) gives the body's left direction. */
  leftRight: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).min(1),
  /**
   * 'first-frame': subtract body 0's root at the first frame (keeps translation: walking, jumping);
   * 'per-frame': subtract body 0's root at every frame (pose only); 'none'.
   */
  center: z.enum(['first-frame', 'per-frame', 'none']),
  /**
   * Rotate so that body 0 faces the camera (-z), left along -x, as in its first frame.
   * 'yaw': about the vertical (y) axis only; 'full': also bring the torso upright (y); 'none'.
   */
  viewAlign: z.enum(['none', 'yaw', 'full']),
  /** Divide by body 0's torso length (root to torsoTop) at the first frame. */
  scaleNorm: z.boolean(),
  /**
   * Input streams computed from the preprocessed joints after sampling (features.ts): absent, joints only.
   * The model then takes F streams of B*J*3 values per step; requests still send joints.
   */
  features: FeatureConfigSchema.optional(),
  /**
   * Which body is body 0 (body-order.ts): 'sensor' (absent: the sensor's slots) or 'camera-x' (ordered by
   * root x at the first frame with a body, then held).
   */
  bodyOrder: z.enum(BODY_ORDER_RULES as [BodyOrderRule, ...BodyOrderRule[]]).optional(),
});

/** Plain JSON; stored in the model's metadata. */
export type PreprocessConfig = z.infer<typeof PreprocessConfigSchema>;

/**
 * The default for a layout: first-frame centring, yaw alignment (none for 2D keypoints, which have no
 * depth to turn about), scale normalisation.
 */
export function defaultPreprocessConfig(
  layout: Layout | LayoutName = 'ntu25',
  bodies = 2,
  overrides: Partial<Pick<PreprocessConfig, 'center' | 'viewAlign' | 'scaleNorm' | 'bodyOrder'>> = {},
): PreprocessConfig {
  const l = typeof layout === 'string' ? getLayout(layout) : layout;
  return parsePreprocessConfig({
    version: 1,
    layout: l.name,
    joints: l.joints.length,
    dims: l.dims,
    bodies,
    root: [...l.root],
    torsoTop: [...l.torsoTop],
    leftRight: l.leftRight.map(([a, b]) => [a, b]),
    center: 'first-frame',
    viewAlign: l.dims === 2 ? 'none' : 'yaw',
    scaleNorm: true,
    ...overrides,
  });
}

/** Validates a config read from JSON (model metadata, CLI); the message names the bad field. */
export function parsePreprocessConfig(json: unknown): PreprocessConfig {
  const r = PreprocessConfigSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    const msg = `preprocess config: ${i.path.join('.') || '(root)'}: ${i.message}`;
    throw i.code === 'invalid_type' ? new TypeError(msg) : new RangeError(msg);
  }
  const cfg = r.data;
  if (cfg.joints === undefined && !isBuiltinLayout(cfg.layout))
    throw new RangeError(`preprocess config: joints: required for layout '${cfg.layout}' (not a built-in layout)`);
  if (cfg.joints !== undefined && isBuiltinLayout(cfg.layout) && cfg.joints !== getLayout(cfg.layout).joints.length)
    throw new RangeError(
      `preprocess config: joints: ${cfg.joints}, but layout ${cfg.layout} has ${getLayout(cfg.layout).joints.length}`,
    );
  const J = jointsOf(cfg);
  const used = [...cfg.root, ...cfg.torsoTop, ...cfg.leftRight.flat()];
  const bad = used.find((j) => j >= J);
  if (bad !== undefined)
    throw new RangeError(`preprocess config: joint ${bad} is outside layout ${cfg.layout} (0..${J - 1})`);
  const streams = cfg.features ? featureConfigProblem(cfg.features, J) : null;
  if (streams) throw new RangeError(`preprocess config: ${streams}`);
  return cfg;
}

/** Joints per body J: the config's own count, or the built-in layout's (configs from before user layouts). */
function jointsOf(cfg: PreprocessConfig): number {
  return cfg.joints ?? getLayout(cfg.layout).joints.length;
}

/**
 * Joints per body J, values of one frame's joints frameSize = B*J*3, and values per model step inputSize
 * (frameSize times the input streams, features.ts).
 */
export function inputDims(cfg: PreprocessConfig): {
  bodies: number;
  joints: number;
  frameSize: number;
  inputSize: number;
  features: FeatureConfig | null;
} {
  const joints = jointsOf(cfg);
  const frameSize = cfg.bodies * joints * 3;
  const features = cfg.features ?? null;
  return { bodies: cfg.bodies, joints, frameSize, inputSize: featureSize(features, frameSize), features };
}

/** What the first frame fixes: origin, rotation (row-major 3x3) and 1/scale. */
interface Reference {
  origin: Float64Array; // [3]
  rot: Float64Array; // [9]
  invScale: number;
}

/** Streaming state: create one per sequence (or per live stream) and feed frames in order. */
export interface PreprocessState {
  readonly cfg: PreprocessConfig;
  readonly joints: number;
  ref: Reference | null;
  /** Last seen root of body 0 (per-frame centring holds it while body 0 is missing). */
  lastRoot: Float64Array;
  /** Which raw body fills each slot (cfg.bodyOrder), decided at the first frame with a body. */
  readonly order: BodyOrderState;
}

export function createPreprocessState(cfg: PreprocessConfig): PreprocessState {
  const order = createBodyOrder(cfg.bodies, cfg.bodyOrder);
  return { cfg, joints: jointsOf(cfg), ref: null, lastRoot: new Float64Array(3), order };
}

/** Mean position of joints `js` of body 0 in a raw frame (at `at` in `frame`), into out[3]. */
function meanJoint(frame: Float32Array, js: readonly number[], out: Float64Array, at = 0): Float64Array {
  out.fill(0);
  for (const j of js) for (let c = 0; c < 3; c++) out[c] += frame[at + j * 3 + c] / js.length;
  return out;
}

function normalize(v: Float64Array): number {
  const n = Math.hypot(v[0], v[1], v[2]);
  if (n > 1e-9) for (let c = 0; c < 3; c++) v[c] /= n;
  return n;
}

/**
 * Rotation taking body 0's (left, up, forward) to (-x, +y, -z): it then faces the camera.
 * 'yaw' keeps up = +y; 'full' uses the torso direction as up (Gram-Schmidt). Rows are the new axes.
 */
function alignment(cfg: PreprocessConfig, frame: Float32Array, at: number): Float64Array {
  const rot = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  if (cfg.viewAlign === 'none') return rot;
  const left = new Float64Array(3);
  for (const [l, r] of cfg.leftRight)
    for (let c = 0; c < 3; c++) left[c] += frame[at + l * 3 + c] - frame[at + r * 3 + c];
  const up = new Float64Array([0, 1, 0]);
  if (cfg.viewAlign === 'full') {
    const top = meanJoint(frame, cfg.torsoTop, new Float64Array(3), at);
    const root = meanJoint(frame, cfg.root, new Float64Array(3), at);
    for (let c = 0; c < 3; c++) up[c] = top[c] - root[c];
    if (normalize(up) < 1e-9) up.set([0, 1, 0]);
  }
  const d = left[0] * up[0] + left[1] * up[1] + left[2] * up[2];
  for (let c = 0; c < 3; c++) left[c] -= d * up[c];
  if (normalize(left) < 1e-9) return rot; // degenerate (all joints on one point): leave unrotated
  // forward = left x up; new axes: x = -left, y = up, z = -forward.
  const fwd = [left[1] * up[2] - left[2] * up[1], left[2] * up[0] - left[0] * up[2], left[0] * up[1] - left[1] * up[0]];
  rot.set([-left[0], -left[1], -left[2], up[0], up[1], up[2], -fwd[0], -fwd[1], -fwd[2]]);
  return rot;
}

function makeReference(cfg: PreprocessConfig, frame: Float32Array, at: number): Reference {
  const origin = meanJoint(frame, cfg.root, new Float64Array(3), at);
  let invScale = 1;
  if (cfg.scaleNorm) {
    const top = meanJoint(frame, cfg.torsoTop, new Float64Array(3), at);
    const len = Math.hypot(top[0] - origin[0], top[1] - origin[1], top[2] - origin[2]);
    invScale = len > 1e-6 ? 1 / len : 1;
  }
  return { origin, rot: alignment(cfg, frame, at), invScale };
}

/**
 * Preprocesses one raw frame [B, J, 3] into out [B*J*3] (a fresh array when out is omitted), updating
 * the state. Frames before body 0 first appears come out as zeros.
 */
export function preprocessFrame(state: PreprocessState, frame: Float32Array, out?: Float32Array): Float32Array {
  const { cfg, joints: J } = state;
  const D = cfg.bodies * J * 3;
  if (!(frame instanceof Float32Array))
    throw new TypeError(`frame must be a Float32Array [B*J*3], got ${typeof frame}`);
  if (frame.length !== D) {
    throw new RangeError(
      `frame has ${frame.length} values, expected B*J*3 = ${cfg.bodies}*${J}*3 = ${D} (layout ${cfg.layout})`,
    );
  }
  const dst = out ?? new Float32Array(D);
  preprocessFrameAt(state, frame, 0, dst, 0);
  return dst;
}

/**
 * preprocessFrame on the frame at frame[at .. at + D) into dst[dstAt .. dstAt + D), sizes checked by the
 * caller: a whole sequence is preprocessed without a view object per frame (docs/design.md).
 */
export function preprocessFrameAt(
  state: PreprocessState,
  frame: Float32Array,
  at: number,
  dst: Float32Array,
  dstAt: number,
): void {
  const { cfg, joints: J } = state;
  const D = cfg.bodies * J * 3;
  dst.fill(0, dstAt, dstAt + D);
  const source = state.order.source;
  decideBodyOrder(state.order, frame, at, J, cfg.root);
  const at0 = at + source[0] * J * 3; // the raw body in slot 0
  const body0 = !bodyAbsent(frame, 0, J, at0);
  if (body0 && state.ref === null) state.ref = makeReference(cfg, frame, at0);
  if (body0) meanJoint(frame, cfg.root, state.lastRoot, at0);
  const ref = state.ref;
  if (ref === null) return;
  const o = cfg.center === 'first-frame' ? ref.origin : cfg.center === 'per-frame' ? state.lastRoot : ZERO3;
  const R = ref.rot;
  const s = ref.invScale;
  for (let b = 0; b < cfg.bodies; b++) {
    if (bodyAbsent(frame, source[b], J, at)) continue;
    const from = at + (source[b] - b) * J * 3; // slot b's values are read from its raw body
    for (let i = b * J * 3; i < (b + 1) * J * 3; i += 3) {
      const x = frame[from + i] - o[0];
      const y = frame[from + i + 1] - o[1];
      const z = frame[from + i + 2] - o[2];
      dst[dstAt + i] = (R[0] * x + R[1] * y + R[2] * z) * s;
      dst[dstAt + i + 1] = (R[3] * x + R[4] * y + R[5] * z) * s;
      dst[dstAt + i + 2] = (R[6] * x + R[7] * y + R[8] * z) * s;
    }
  }
}

const ZERO3 = new Float64Array(3);

/** Whole sequence: raw [T, B, J, 3] -> model input [T, B*J*3]; identical to feeding frames one by one. */
export function preprocessSequence(cfg: PreprocessConfig, raw: Float32Array, T: number): Float32Array {
  const { frameSize: D } = inputDims(cfg);
  if (!(raw instanceof Float32Array)) throw new TypeError(`raw sequence must be a Float32Array [T, B, J, 3]`);
  if (raw.length !== T * D) {
    throw new RangeError(
      `raw sequence has ${raw.length} values, expected T*B*J*3 = ${T}*${D} = ${T * D} (layout ${cfg.layout})`,
    );
  }
  const state = createPreprocessState(cfg);
  const out = new Float32Array(T * D);
  for (let t = 0; t < T; t++) preprocessFrameAt(state, raw, t * D, out, t * D);
  return out;
}
