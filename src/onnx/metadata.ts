// The model contract: what a trained model promises (what it recognises, and for skeleton models the
// input it takes: layout, preprocessing, frame rate, window, sampling). One schema: the trainer keeps it in
// the checkpoint (train/checkpoint.ts), the exporter writes it, with the network's sizes and how it was
// built, as the ONNX file's metadata_props (strings: JSON for other values), and the loader reads it back.
import { z } from 'zod';

export const MODEL_FORMAT = 'indrnn-onnx/1';
export const EXPORTER_VERSION = '0.1.0';

const whole = z.number().int().min(0);
const record = z.record(z.string(), z.unknown());

export const samplingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('segments'), segments: z.number().int().min(1) }),
  z.object({ kind: z.literal('rate'), fps: z.number().positive(), window: z.number().int().min(1) }),
]);
export type Sampling = z.infer<typeof samplingSchema>;

export const labelSchema = z.object({ name: z.string(), ntuAction: z.number().int().optional() });
export type ModelLabel = z.infer<typeof labelSchema>;

/** What a model recognises. */
const outputContract = {
  task_kind: z.enum(['classification', 'regression']),
  /** Classifiers: one per output, in output order; regression: none. */
  labels: z.array(labelSchema),
};

/** Skeleton models only: how frames must look and be preprocessed. */
const skeletonContract = {
  layout: z.string().optional(),
  /** The whole joint layout (layout-file.ts LayoutJson, its keys in their order); absent in models from before user layouts. */
  layout_spec: record.and(z.object({ joints: z.array(z.string()), parents: z.array(z.number().int()) })).optional(),
  /** 2: the model takes 2D keypoints (z = 0); absent: 3. */
  dims: z.union([z.literal(2), z.literal(3)]).optional(),
  bodies: whole.optional(),
  joints: whole.optional(),
  /** The trainer's exact preprocessing config (data/preprocess.ts, checked by predict/input.ts). */
  preprocessing: record.optional(),
  frame_rate: z.number().positive().optional(),
  window: whole.optional(),
  /**
   * How recorded frames (at frame_rate) become model steps. 'segments': the paper's sampling, T equal
   * segments with one frame each (whole actions only). 'rate': frames resampled causally to `fps` model
   * steps per second; the model was trained on windows of up to `window` steps and predicts at every step
   * (streaming). Absent: every frame is a step.
   */
  sampling: samplingSchema.optional(),
  /**
   * Detection models: the name of the background label ("no action"), one of `labels`. Streams of such
   * a model send action start/end events, and HTTP predict can return segments (src/predict/segments.ts).
   */
  background: z.string().min(1).optional(),
};

export const contractSchema = z.object({ ...outputContract, ...skeletonContract });
export type ModelContract = z.infer<typeof contractSchema>;

/**
 * An ensemble of seeds (export/fold.ts `ensemble`): its logits are the mean over members of
 * LogSoftmax(member logits); h0/hT stack the members' layers in member order. `architecture` and the
 * top-level sizes are the first member's (num_layers the total).
 */
export const ensembleSchema = z.object({
  combine: z.literal('mean-log-softmax'),
  members: z
    .array(
      z.object({
        source_checkpoint: z.string(),
        seed: z.number().int().nullable(),
        num_layers: whole,
        architecture: record,
      }),
    )
    .min(2),
});
export type EnsembleMetadata = z.infer<typeof ensembleSchema>;

/** A model file's metadata, typed: the contract, the network's sizes and where the model came from. */
export const modelMetadataSchema = z.object({
  'indrnn.format': z.literal(MODEL_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  ...outputContract,
  input_size: whole,
  hidden_size: whole,
  num_layers: whole,
  num_outputs: whole,
  architecture: record,
  training: record,
  source_checkpoint: z.string(),
  exporter_version: z.string(),
  ...skeletonContract,
  /** Absent: one network. */
  ensemble: ensembleSchema.optional(),
});
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

const isText = (f: z.core.$ZodType): boolean =>
  f instanceof z.ZodOptional
    ? isText(f.unwrap())
    : f instanceof z.ZodString || f instanceof z.ZodEnum || f instanceof z.ZodLiteral;
const keys = Object.keys(modelMetadataSchema.shape);
/** The fields written as they are; the others are JSON. */
const textKeys = new Set(Object.entries(modelMetadataSchema.shape).flatMap(([k, f]) => (isText(f) ? [k] : [])));

/** Typed metadata, checked -> metadata_props in the schema's order (absent values left out). */
export function encodeMetadata(m: ModelMetadata): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(modelMetadataSchema.parse(m)))
    if (v !== undefined) props[k] = textKeys.has(k) ? String(v) : JSON.stringify(v);
  return props;
}

/** Parses metadata_props (all strings) into typed metadata; unknown keys are kept out. */
export const metadataSchema = z
  .record(z.string(), z.string())
  .transform((props, ctx) => {
    const values: Record<string, unknown> = {};
    for (const k of keys.filter((k) => props[k] !== undefined)) {
      try {
        values[k] = textKeys.has(k) ? props[k] : JSON.parse(props[k]);
      } catch {
        ctx.addIssue({ code: 'custom', path: [k], message: 'is not valid JSON', input: props[k] });
      }
    }
    return values;
  })
  .pipe(modelMetadataSchema);

/** Describes the schema's problems in one line: "labels is not valid JSON; num_layers is missing". */
export function describeMetadataError(error: z.ZodError): string {
  return error.issues
    .map(
      (i) =>
        `${i.path.join('.') || 'metadata'} ${i.code === 'invalid_type' && i.input === undefined ? 'is missing' : i.message}`,
    )
    .join('; ');
}
