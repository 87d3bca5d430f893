// The metadata_props that make an exported model self-describing: what it recognises, what input it
// expects (layout, preprocessing, frame rate, window), how it was built and trained. Each value is a
// string (JSON for structured values); this schema is the single definition for writer and readers.
import { z } from 'zod';

export const MODEL_FORMAT = 'indrnn-onnx/1';
export const EXPORTER_VERSION = '0.1.0';

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const int = z.string().regex(/^\d+$/, 'is not a whole number').transform(Number);

export const samplingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('segments'), segments: z.number().int().min(1) }),
  z.object({ kind: z.literal('rate'), fps: z.number().positive(), window: z.number().int().min(1) }),
]);
export type Sampling = z.infer<typeof samplingSchema>;

export const labelSchema = z.object({ name: z.string(), ntuAction: z.number().int().optional() });
export type ModelLabel = z.infer<typeof labelSchema>;

/** Parses metadata_props (all strings) into typed metadata; unknown keys are kept out. */
export const metadataSchema = z.object({
  'indrnn.format': z.literal(MODEL_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  task_kind: z.enum(['classification', 'regression']),
  labels: json(z.array(labelSchema)),
  input_size: int,
  hidden_size: int,
  num_layers: int,
  num_outputs: int,
  architecture: json(z.record(z.string(), z.unknown())),
  training: json(z.record(z.string(), z.unknown())),
  source_checkpoint: z.string(),
  exporter_version: z.string(),
  // Skeleton models only: how frames must look and be preprocessed.
  layout: z.string().optional(),
  /** The whole joint layout (layout-file.ts LayoutJson); absent in models from before user layouts. */
  layout_spec: json(z.record(z.string(), z.unknown())).optional(),
  /** 2: the model takes 2D keypoints (z = 0); absent: 3. */
  dims: int.optional(),
  bodies: int.optional(),
  joints: int.optional(),
  preprocessing: json(z.record(z.string(), z.unknown())).optional(),
  frame_rate: z.string().transform(Number).optional(),
  window: int.optional(),
  /**
   * How recorded frames (at frame_rate) become model steps. 'segments': the paper's sampling, T equal
   * segments with one frame each (whole actions only). 'rate': frames resampled causally to `fps` model
   * steps per second; the model was trained on windows of up to `window` steps and predicts at every step
   * (streaming). Absent: every frame is a step.
   */
  sampling: json(samplingSchema).optional(),
  /**
   * Detection models: the name of the background label ("no action"), one of `labels`. Streams of such
   * a model send action start/end events, and HTTP predict can return segments (src/predict/segments.ts).
   */
  background: z.string().min(1).optional(),
});
export type ModelMetadata = z.infer<typeof metadataSchema>;

/** Describes the schema's problems in one line: "labels is not valid JSON; num_layers is required". */
export function describeMetadataError(error: z.ZodError): string {
  return error.issues
    .map(
      (i) =>
        `${i.path.join('.') || 'metadata'} ${i.code === 'invalid_type' && i.input === undefined ? 'is missing' : i.message}`,
    )
    .join('; ');
}
