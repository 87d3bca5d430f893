// A served model's input streams (src/data/features.ts): requests send joints, and each model step's joints
// become the streams the model was trained on (joints, bones, motions), after sampling. HTTP predict and
// `indrnn predict` compute them over a sequence's steps (stepFeatures), a live stream step by step
// (StreamFeatures): the same numbers, so a stream gets the logits of the whole sequence.
//
// Shapes: D0 = B*J*3 joints of one step, D = the model's input_size (F streams of D0).
import {
  createFeatureState,
  type FeatureState,
  featureSequence,
  featureStepAt,
  resetFeatureState,
} from '../data/features.js';
import type { InputSpec } from './input-spec.js';

/** Steps' joints x [n, D0] -> model input [n, D]; x itself for a model without input streams. */
export function stepFeatures(spec: InputSpec, x: Float32Array, n: number): Float32Array {
  const f = spec.kind === 'skeleton' ? spec.preprocess.features : undefined;
  return spec.kind === 'skeleton' && f ? featureSequence(f, spec.bodies, spec.joints, x, n) : x;
}

/** A live stream's input streams: one state per stream, fed its steps in order; no allocation per step. */
export class StreamFeatures {
  /** The streams' state and the reused model input [D]; null for a model without input streams. */
  private readonly step: { state: FeatureState; out: Float32Array } | null = null;

  constructor(spec: InputSpec) {
    const cfg = spec.kind === 'skeleton' ? spec.preprocess.features : undefined;
    if (spec.kind === 'skeleton' && cfg)
      this.step = {
        state: createFeatureState(cfg, spec.bodies, spec.joints),
        out: new Float32Array(cfg.streams.length * spec.inputSize),
      };
  }

  /** A new sequence: its first step has no motion. */
  reset(): void {
    if (this.step) resetFeatureState(this.step.state);
  }

  /** The model input of the next step, whose joints are x [D0]: x itself without streams, else a reused array. */
  next(x: Float32Array): Float32Array {
    if (!this.step) return x;
    featureStepAt(this.step.state, x, 0, this.step.out, 0);
    return this.step.out;
  }
}
