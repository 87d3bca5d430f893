// What GET /v1/models/{name} says about a served model: its schema (published by the OpenAPI document)
// and its description, computed once when the registry loads the model.
import { z } from 'zod';
import { samplingSchema } from '../onnx/metadata.js';
import type { IndrnnModel } from '../onnx/model.js';
import type { InputSpec } from '../predict/input-spec.js';

const tensorInfo = z.object({
  name: z.string(),
  datatype: z.literal('FP32'),
  shape: z.array(z.union([z.number().int(), z.string()])).meta({ description: 'symbolic dimensions are names' }),
  description: z.string(),
});
export const modelInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  file: z.string().meta({ description: 'the model file, relative to the model directory' }),
  taskKind: z.enum(['classification', 'regression']),
  labels: z.array(z.object({ name: z.string(), ntuAction: z.number().int().optional() })),
  layout: z.string().nullable().meta({ description: 'joint layout; null: frames are raw input rows' }),
  bodies: z.number().int().nullable(),
  joints: z.number().int().nullable(),
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
  architecture: z.record(z.string(), z.unknown()),
  training: z.record(z.string(), z.unknown()),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** `file`: as answers show it, relative to the model directory (never the server's absolute path). */
export function describeModel(file: string, model: IndrnnModel, input: InputSpec): ModelInfo {
  const m = model.metadata;
  const skeleton = input.kind === 'skeleton' ? input : null;
  return {
    name: m.name,
    version: m.version,
    file,
    taskKind: m.task_kind,
    labels: m.labels,
    layout: skeleton?.layout ?? null,
    bodies: skeleton?.bodies ?? null,
    joints: skeleton?.joints ?? null,
    frameRate: m.frame_rate ?? null,
    window: m.window ?? null,
    sampling: m.sampling ?? null,
    background: m.background ?? null,
    inputSize: m.input_size,
    preprocessing: skeleton ? { ...skeleton.preprocess } : null,
    inputs: [
      {
        name: 'x',
        datatype: 'FP32',
        shape: ['T', 'B', m.input_size],
        description: 'frames (preprocessed), time-major',
      },
      {
        name: 'h0',
        datatype: 'FP32',
        shape: [m.num_layers, 'B', m.hidden_size],
        description: 'initial state of the IndRNN layers; zeros for a new sequence',
      },
    ],
    outputs: [
      { name: 'logits', datatype: 'FP32', shape: ['T', 'B', m.num_outputs], description: 'per-frame outputs' },
      {
        name: 'hT',
        datatype: 'FP32',
        shape: [m.num_layers, 'B', m.hidden_size],
        description: 'final state, to continue the sequence',
      },
    ],
    provider: model.provider,
    architecture: m.architecture,
    training: m.training,
  };
}
