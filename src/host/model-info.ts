// What GET /v1/models/{name} says about a served model: its schema (published by the OpenAPI document)
// and its description, computed once when the registry loads the model.
import { z } from 'zod';
import { contractSchema, ensembleSchema, samplingSchema } from '../onnx/metadata.js';
import type { IndrnnModel } from '../onnx/model.js';
import type { InputSpec } from '../predict/input-spec.js';

const contract = contractSchema.shape;
const tensorInfo = z.object({
  name: z.string(),
  datatype: z.literal('FP32'),
  shape: z.array(z.union([z.number().int(), z.string()])).meta({ description: 'symbolic dimensions are names' }),
  description: z.string(),
});
type TensorInfo = z.infer<typeof tensorInfo>;
export const modelInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  file: z.string().meta({ description: 'the model file, relative to the model directory' }),
  taskKind: contract.task_kind,
  labels: contract.labels,
  layout: z.string().nullable().meta({ description: 'joint layout; null: frames are raw input rows' }),
  bodies: z.number().int().nullable(),
  joints: z.number().int().nullable(),
  dims: z
    .union([z.literal(2), z.literal(3)])
    .nullable()
    .meta({
      description:
        "2: a model of 2D keypoints (image x, y, as a webcam's pose estimator gives them; joints [x, y] or [x, y, score]); 3: 3D joints [x, y, z]; null: raw rows",
    }),
  parents: z.array(z.number().int()).nullable().meta({
    description:
      "the parent of each joint (-1: a root) in the model's own joint layout; null: raw rows, or a model exported before layouts travelled with models",
  }),
  frameRate: z.number().nullable(),
  window: z.number().int().nullable().meta({ description: 'frames per sequence in training' }),
  sampling: samplingSchema.nullable().meta({
    description:
      "how a request's frames become model steps: 'segments' = the centre frame of each of `segments` equal segments; 'rate' = resampled to `fps` steps per second, trained on windows of `window` steps; null = every frame",
  }),
  background: z.string().nullable().meta({
    description:
      'detection models: the label meaning "no action"; their streams send action start/end events and HTTP predict gives `segments`. null: a plain classifier',
  }),
  inputSize: z.number().int(),
  preprocessing: z.record(z.string(), z.unknown()).nullable(),
  inputs: z.array(tensorInfo),
  outputs: z.array(tensorInfo),
  provider: z.enum(['cuda', 'cpu']).meta({ description: 'execution provider in use' }),
  architecture: z.record(z.string(), z.unknown()).meta({
    description: "the network's config (an ensemble: its first member's; every member's is in `ensemble`)",
  }),
  training: z.record(z.string(), z.unknown()),
  ensemble: ensembleSchema.nullable().meta({
    description:
      "an ensemble of seeds: its members (source checkpoint, seed, layers, architecture); its logits are the mean of the members' log-softmax and its state stacks their layers in member order. null: one network",
  }),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

const tensor = (name: string, shape: (number | string)[], description: string): TensorInfo => {
  return { name, datatype: 'FP32', shape, description };
};

/** `file`: as answers show it, relative to the model directory (never the server's absolute path). */
export function describeModel(file: string, model: IndrnnModel, input: InputSpec): ModelInfo {
  const m = model.metadata;
  const skeleton = input.kind === 'skeleton' ? input : null;
  const state = [m.num_layers, 'B', m.hidden_size];
  return {
    name: m.name,
    version: m.version,
    file,
    taskKind: m.task_kind,
    labels: m.labels,
    layout: skeleton?.layout ?? null,
    bodies: skeleton?.bodies ?? null,
    joints: skeleton?.joints ?? null,
    dims: skeleton?.dims ?? null,
    parents: skeleton ? (m.layout_spec?.parents ?? null) : null,
    frameRate: m.frame_rate ?? null,
    window: m.window ?? null,
    sampling: m.sampling ?? null,
    background: m.background ?? null,
    inputSize: m.input_size,
    preprocessing: skeleton ? { ...skeleton.preprocess } : null,
    inputs: [
      tensor('x', ['T', 'B', m.input_size], 'frames (preprocessed), time-major'),
      tensor('h0', state, 'initial state of the IndRNN layers; zeros for a new sequence'),
    ],
    outputs: [
      tensor('logits', ['T', 'B', m.num_outputs], 'per-frame outputs'),
      tensor('hT', state, 'final state, to continue the sequence'),
    ],
    provider: model.provider,
    architecture: m.architecture,
    training: m.training,
    ensemble: m.ensemble ?? null,
  };
}
