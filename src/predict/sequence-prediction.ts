// One sequence of request frames -> one prediction, exactly as the model was trained to see it: checked
// and preprocessed (input.ts), sampled (segments inside readSequence; rate sampling resampled here), and
// for rate models read from the staggered states (rate.ts). Shared by HTTP predict and
// `indrnn predict`, so that both answer alike.

import { resampledLength } from '../data/sampling.js';
import type { ModelMetadata } from '../onnx/metadata.js';
import { allFinite } from '../util/finite.js';
import { ApiError } from './errors.js';
import { readSequence, type SequenceInput } from './input.js';
import type { InputSpec } from './input-spec.js';
import type { LayoutConversion } from './layout-conversion.js';
import { resampleSequence, type SegmentSlot, staggeredLogits } from './rate.js';
import { type ClassPrediction, classPrediction, type RegressionPrediction, regressionPrediction } from './result.js';
import { type ActionSegment, type DecisionRule, segmentSteps } from './segments.js';
import { stepFeatures } from './step-features.js';

export interface ModelSteps {
  x: Float32Array; // [n, D]
  n: number;
  /** The source frame each step shows [n] (rate models); null: step k is frame k. */
  frameOf?: Int32Array | null;
}

/** The background class of a detection model (metadata `background`), or -1. */
export function backgroundIndex(m: ModelMetadata): number {
  return m.background === undefined ? -1 : m.labels.findIndex((l) => l.name === m.background);
}

/** Segments are asked for (`field`: the request's field or the flag): refused unless `m` is a detection model. */
export function requireDetectionModel(m: ModelMetadata, field: string): void {
  if (backgroundIndex(m) < 0) {
    throw new ApiError(
      'invalid_field',
      `${field}: model ${m.name} is not a detection model (it has no background label)`,
      field,
    );
  }
}

/**
 * Preprocessed frames x [T, D0] recorded at `srcFps` -> the model's steps [n, D] (resampled for rate
 * models), with the model's input streams computed from each step's joints (step-features.ts).
 */
export function modelSteps(m: ModelMetadata, spec: InputSpec, x: Float32Array, T: number, srcFps: number): ModelSteps {
  if (m.sampling?.kind !== 'rate') return { x: stepFeatures(spec, x, T), n: T, frameOf: null };
  const r = resampleSequence(x, T, spec.inputSize, srcFps, m.sampling);
  return { x: stepFeatures(spec, r.x, r.n), n: r.n, frameOf: r.idx };
}

/** Checks and converts one sequence's frames (throws ApiError naming `field`); nothing runs yet. */
export function prepareSteps(m: ModelMetadata, input: InputSpec, frames: unknown[], opts: StepOptions): ModelSteps {
  const s = readSequence(frames, input, opts.maxFrames, opts.field, opts.conversion, opts.minScore);
  return stepsOf(m, input, s, opts);
}

export interface StepOptions {
  maxFrames: number;
  field: string;
  frameRate?: number;
  /** The frames are in another layout than the model's (a request's `layout`): read and convert them. */
  conversion?: LayoutConversion | null;
  /** 2D models: a point [x, y, score] scored below this is missing (checked: point-options.ts' minScoreFor). */
  minScore?: number;
}

/** Checked model input (readSequence, or a binary body) -> the model steps: rate models resample it. */
export function stepsOf(m: ModelMetadata, spec: InputSpec, s: SequenceInput, opts: StepOptions): ModelSteps {
  if (m.sampling?.kind !== 'rate') return modelSteps(m, spec, s.x, s.T, 0);
  const srcFps = opts.frameRate ?? m.frame_rate ?? 30;
  // A low frame rate multiplies the steps: bound them by the same limit as frames, before they exist.
  const n = resampledLength(s.T, srcFps, m.sampling.fps);
  if (n > opts.maxFrames) {
    throw new ApiError(
      'too_many_frames',
      `${opts.field}: ${s.T} frames at ${srcFps} frames/s become ${n} model steps at ${m.sampling.fps} steps/s, the limit is ${opts.maxFrames}`,
      { field: opts.field, limit: opts.maxFrames, got: n },
    );
  }
  return modelSteps(m, spec, s.x, s.T, srcFps);
}

/**
 * Runs the steps through `submit` (one run per staggered segment) and reads the prediction at the last
 * step; with `segments` (a detection model's decision rule), also the actions detected over all steps,
 * by the code that sends a stream's start/end events (segments.ts).
 */
export async function predictSteps(
  submit: (x: Float32Array, T: number) => Promise<SegmentSlot>,
  m: ModelMetadata,
  steps: ModelSteps,
  opts: { topK: number; timeline: boolean; field?: string; segments?: DecisionRule },
): Promise<(ClassPrediction & { segments?: ActionSegment[] }) | RegressionPrediction> {
  const rate = m.sampling?.kind === 'rate' ? m.sampling : null;
  const every = opts.timeline || opts.segments !== undefined;
  const logits = await staggeredLogits(submit, steps.x, steps.n, m.input_size, m.num_outputs, rate, !every);
  const last = steps.n - 1;
  const K = m.num_outputs;
  if (!allFinite(logits, every ? 0 : last * K, steps.n * K)) {
    const field = opts.field ?? 'frames';
    throw new ApiError(
      'non_finite_value',
      `${field}: the model's output is not finite for these frames (values too large for the model?)`,
      field,
    );
  }
  if (m.task_kind === 'regression') return regressionPrediction(logits, 1, 0, last, opts);
  const p: ClassPrediction & { segments?: ActionSegment[] } = classPrediction(logits, 1, K, 0, last, m.labels, opts);
  const background = backgroundIndex(m);
  if (opts.segments && background >= 0) {
    const frameOf = steps.frameOf;
    p.segments = segmentSteps(logits, steps.n, K, background, m.labels, opts.segments, (k) =>
      frameOf ? frameOf[k] : k,
    );
  }
  return p;
}
