// A served model's input streams (src/data/features.ts): requests send joints, and each model step's joints
// become the streams the model was trained on (joints, bones, motions), after sampling. HTTP predict and
// `indrnn predict` compute them over a sequence's steps (stepFeatures), a live stream step by step
// (StreamFeatures): the same numbers, so a stream gets the logits of the whole sequence.
//
// Shapes: D0 = B*J*3 joints of one step, D = the model's input_size (F streams of D0).
import {
  createFeatureState,
  type FeatureConfig,
  type FeatureState,
  featureSequence,
  featureStepAt,
  resetFeatureState,
} from '../data/features.js';
import { inputDims, parsePreprocessConfig } from '../data/preprocess.js';
import type { ModelContract } from '../onnx/metadata.js';
import type { InputSpec } from './input-spec.js';

/** What turns a step's joints into model input; null for models that take their frames as they are. */
export interface StepFeatures {
  config: FeatureConfig;
  bodies: number;
  joints: number;
  /** D0: joints of one step. */
  frameSize: number;
}

const known = new WeakMap<object, StepFeatures | null>();

/** The input streams of a model (read once per metadata object); null: joints only, or no joint layout. */
export function stepFeaturesOf(m: ModelContract): StepFeatures | null {
  let f = known.get(m);
  if (f !== undefined) return f;
  f = null;
  if (m.preprocessing) {
    const cfg = parsePreprocessConfig(m.preprocessing);
    const d = inputDims(cfg);
    if (d.features) f = { config: d.features, bodies: d.bodies, joints: d.joints, frameSize: d.frameSize };
  }
  known.set(m, f);
  return f;
}

/** Steps' joints x [n, D0] -> model input [n, D]; x itself without streams. */
export function stepFeatures(f: StepFeatures | null, x: Float32Array, n: number): Float32Array {
  return f ? featureSequence(f.config, f.bodies, f.joints, x, n) : x;
}

/** A live stream's input streams: one state per stream, fed its steps in order; no allocation per step. */
export class StreamFeatures {
  private readonly state: FeatureState | null;
  private readonly out: Float32Array | null;

  constructor(spec: InputSpec) {
    const cfg = spec.kind === 'skeleton' ? spec.preprocess.features : undefined;
    this.state = cfg && spec.kind === 'skeleton' ? createFeatureState(cfg, spec.bodies, spec.joints) : null;
    this.out = cfg ? new Float32Array(cfg.streams.length * spec.inputSize) : null;
  }

  /** A new sequence: its first step has no motion. */
  reset(): void {
    if (this.state) resetFeatureState(this.state);
  }

  /** The model input of the next step, whose joints are x [D0]: x itself without streams, else a reused array. */
  next(x: Float32Array): Float32Array {
    if (!this.state || !this.out) return x;
    featureStepAt(this.state, x, 0, this.out, 0);
    return this.out;
  }
}
