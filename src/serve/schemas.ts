// Every request and response body of the HTTP API as a zod schema: the request types come from
// z.infer, validation failures become the catalogue's `invalid_field` error with the field's path, and
// openapi.ts publishes these same schemas.
//
// The numbers inside `frames` and `data` are the one exception to "zod validates": a zod union over
// nested arrays took ~6 ms for one 300-frame request and reported "Invalid input" without the reason,
// so src/predict/input.ts walks them once, writing straight into a Float32Array, with messages that name the element
// ("frames[3] has 17 joints, the model expects 25"). Their zod schemas say `array` here, and the precise
// nesting is published through `framesDoc` and `tensorDataDoc` (see openapi.ts).
import { z } from 'zod';
import { type ModelInfo, modelInfoSchema } from '../host/model-info.js';
import { ApiError, fieldPath } from '../predict/errors.js';
import { layoutFieldSchema } from '../predict/layout-conversion.js';
import { MIN_SCORE_TEXT, minScoreFieldSchema } from '../predict/point-options.js';
import { FRAME_RATE } from '../predict/rate.js';
import { decisionRuleSchema } from '../predict/segments.js';
import { HTTP_ERROR_CODES } from './http-errors.js';

const coords = z.array(z.number()).meta({ description: 'x, y, z of one joint (camera-space metres)' });
/** Documentation of `frames`: the three accepted nestings. Validation: src/predict/input.ts. */
export const framesDoc = z
  .union([
    z.array(z.array(coords)).meta({ title: 'T x joints x 3 (one body)' }),
    z.array(z.array(z.array(coords))).meta({ title: 'T x bodies x joints x 3' }),
    z.array(z.array(z.number())).meta({ title: 'T x input_size (models without a joint layout)' }),
  ])
  .meta({
    description:
      "The frames of one sequence. Skeleton models (with a `layout`) take joints: T x joints x 3 for one body, or T x bodies x joints x 3 (up to the model's `bodies`; a missing or all-zero body is absent). The server applies the model's own preprocessing. Models without a layout take T rows of `input_size` raw numbers. Values must be finite numbers.",
  });
export const framesSchema = z.array(z.unknown());

export const sequenceSchema = z.strictObject({
  id: z.string().max(200).optional().meta({ description: 'echoed back in the prediction' }),
  frames: framesSchema,
});

export const predictRequestSchema = z
  .strictObject({
    frames: framesSchema.optional().meta({ description: 'one sequence (give `frames` or `sequences`)' }),
    sequences: z
      .array(sequenceSchema)
      .min(1, 'needs at least one sequence')
      .optional()
      .meta({ description: 'several sequences, each {frames}; of any lengths' }),
    topK: z.number().int().min(1).max(1000).default(5).meta({ description: 'how many ranked labels to list' }),
    timeline: z.boolean().default(false).meta({ description: 'also give the prediction after every frame' }),
    segments: z.boolean().default(false).meta({
      description:
        'detection models (with a `background` label): also give the actions detected over the whole sequence, as a stream of the same frames announces them',
    }),
    decision: decisionRuleSchema.partial().optional().meta({
      description: "the decision rule for `segments`, fields as in a stream's config; default the server's",
    }),
    frameRate: z.number().min(FRAME_RATE.min).max(FRAME_RATE.max).optional().meta({
      description:
        "frames per second of the request's frames (default: the model's frameRate); rate-sampled models resample them to their own fps",
    }),
    layout: layoutFieldSchema,
    minScore: minScoreFieldSchema,
  })
  .refine((r) => (r.frames === undefined) !== (r.sequences === undefined), {
    message: 'give exactly one of `frames` (one sequence) or `sequences` (a batch)',
    path: ['frames'],
  });
export type PredictRequest = z.infer<typeof predictRequestSchema>;

/**
 * A predict body: the common plain one ({frames, topK?, timeline?, frameRate?} with valid values) is
 * accepted by a few checks in place of the schema, which costs ~50 µs a request; anything else goes
 * through predictRequestSchema, which refuses it naming the field. The fast path accepts only what the
 * schema accepts, and gives what it gives (test/serve-predict-binary.test.ts compares them).
 */
export function parsePredictRequest(body: unknown): PredictRequest {
  return plainPredictRequest(body) ?? parseBody(predictRequestSchema, body);
}

function plainPredictRequest(body: unknown): PredictRequest | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  let keys = 0;
  for (const key in b) {
    if (!Object.hasOwn(b, key)) return null;
    keys++;
  }
  const { frames, topK = 5, timeline = false, frameRate } = b;
  const known = 1 + Number('topK' in b) + Number('timeline' in b) + Number('frameRate' in b);
  if (keys !== known || !Array.isArray(frames)) return null;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 1000) return null;
  if (typeof timeline !== 'boolean') return null;
  if (frameRate === undefined) return { frames, topK, timeline, segments: false };
  if (typeof frameRate !== 'number' || !(frameRate >= FRAME_RATE.min && frameRate <= FRAME_RATE.max)) return null;
  return { frames, topK, timeline, frameRate, segments: false };
}

export type PredictQuery = z.infer<typeof predictQuerySchema>;

/** A binary predict's query: plain ones (?topK=5&timeline=true) checked by hand, anything else by the schema. */
export function parsePredictQuery(query: unknown): PredictQuery {
  return plainPredictQuery(query) ?? parseBody(predictQuerySchema, query);
}

const PLAIN_TOP_K = /^[1-9]\d{0,2}$|^1000$/;
const PLAIN_RATE = /^[1-9]\d{0,2}(\.\d{1,6})?$|^1000$/; // 1 to 999.999999, or 1000

function plainPredictQuery(query: unknown): PredictQuery | null {
  if (typeof query !== 'object' || query === null) return null;
  const q: PredictQuery = { topK: 5, timeline: false, segments: false };
  for (const key in query) {
    const v = (query as Record<string, unknown>)[key];
    if (!Object.hasOwn(query, key) || typeof v !== 'string') return null;
    if (key === 'topK' && PLAIN_TOP_K.test(v)) q.topK = Number(v);
    else if (key === 'timeline' && (v === 'true' || v === 'false')) q.timeline = v === 'true';
    else if (key === 'frameRate' && PLAIN_RATE.test(v)) q.frameRate = Number(v);
    else return null;
  }
  return q;
}

/** Options of a binary predict (application/octet-stream body): the query parameters. */
export const predictQuerySchema = z.strictObject({
  topK: z.coerce.number().int().min(1).max(1000).default(5).meta({ description: 'how many ranked labels to list' }),
  timeline: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: 'also give the prediction after every frame' }),
  frameRate: z.coerce.number().min(FRAME_RATE.min).max(FRAME_RATE.max).optional().meta({
    description: "frames per second of the body's frames (default: the model's frameRate)",
  }),
  layout: layoutFieldSchema,
  minScore: z.coerce.number().min(0).max(1).optional().meta({ description: MIN_SCORE_TEXT }),
  segments: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .meta({ description: "a detection model's action segments, with the server's default decision rule" }),
});

const scoredLabel = z.object({
  label: z.string(),
  index: z.number().int(),
  probability: z.number(),
  ntuAction: z.number().int().optional(),
});
export const classPredictionSchema = scoredLabel.extend({
  id: z.string().optional(),
  topK: z.array(scoredLabel),
  frames: z.number().int().meta({
    description:
      'model steps read, the prediction being at the last: the frames sent, or the segments of a segment-sampled model',
  }),
  timeline: z.array(scoredLabel).optional(),
  segments: z
    .array(
      z.object({
        label: z.string(),
        index: z.number().int(),
        startFrame: z.number().int(),
        endFrame: z.number().int().meta({ description: 'last frame of the action (included)' }),
        announcedFrame: z.number().int().meta({ description: 'the frame at which a stream announces its start' }),
        probability: z.number().meta({ description: "the segment's confidence" }),
      }),
    )
    .optional(),
});
export const regressionPredictionSchema = z.object({
  id: z.string().optional(),
  value: z.number(),
  frames: z.number().int(),
  timeline: z.array(z.number()).optional(),
});
export const predictResponseSchema = z.object({
  model: z.string(),
  version: z.string(),
  provider: z.enum(['cuda', 'cpu']),
  predictions: z.array(z.union([classPredictionSchema, regressionPredictionSchema])),
});
export type PredictResponse = z.infer<typeof predictResponseSchema>;

export { type ModelInfo, modelInfoSchema };
export const modelListSchema = z.object({ models: z.array(modelInfoSchema) });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(HTTP_ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    details: z.object({ field: z.string().optional() }).catchall(z.unknown()),
  }),
});

export const healthSchema = z.object({ status: z.enum(['ok', 'ready', 'not_ready', 'shutting_down']) });
export const readySchema = healthSchema.extend({
  models: z.array(z.string()),
  stuck: z.array(z.string()).optional().meta({ description: 'models with a run past --run-timeout-ms' }),
});

// KServe v2 / Triton inference protocol (JSON): https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
/** Documentation of tensor `data`: row-major, flat or nested. Validation: kserve route. */
export const tensorDataDoc = z.union([z.array(z.number()), z.array(z.array(z.unknown()))]).meta({
  description: 'the tensor in row-major order, flat or nested as in `shape`',
});
export const tensorDataSchema = z.array(z.unknown());
export const v2TensorSchema = z.strictObject({
  name: z.string(),
  shape: z.array(z.number().int().min(0)),
  datatype: z.string(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  data: tensorDataSchema,
});
/** The model's tensors: every list in an infer request is bounded by these (each name at most once). */
export const V2_INPUT_NAMES = ['x', 'h0'] as const;
export const V2_OUTPUT_NAMES = ['logits', 'hT'] as const;
export const v2InferRequestSchema = z.strictObject({
  id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z
    .array(v2TensorSchema)
    .min(1, 'needs the input tensor x')
    .max(V2_INPUT_NAMES.length, `lists at most ${V2_INPUT_NAMES.length} tensors (x and h0), each once`),
  outputs: z
    .array(z.strictObject({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .max(V2_OUTPUT_NAMES.length, `lists at most ${V2_OUTPUT_NAMES.length} tensors (logits and hT), each once`)
    .optional()
    .meta({ description: 'the outputs to answer with, each once (default: logits and hT)' }),
});
export type V2InferRequest = z.infer<typeof v2InferRequestSchema>;
export const v2InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string().optional(),
  outputs: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int()),
      datatype: z.literal('FP32'),
      data: z.array(z.number()),
    }),
  ),
});
const v2TensorMeta = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });
export const v2ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(v2TensorMeta),
  outputs: z.array(v2TensorMeta),
});
export const v2ModelReadySchema = z.object({ name: z.string(), ready: z.boolean() });
export const v2LiveSchema = z.object({ live: z.boolean() });
export const v2ReadySchema = z.object({ ready: z.boolean() });
/** The protocol's error body: the message only (the code is in the X-Error-Code header). */
export const v2ErrorSchema = z.object({ error: z.string() });
// The model repository extension (KServe v2 / Triton): list the models, load and unload them by name.
export const v2RepositoryIndexRequestSchema = z.strictObject({
  repository_name: z.string().max(128).optional(),
  ready: z.boolean().optional().meta({ description: 'true: only the models ready to serve' }),
});
export const v2RepositoryIndexSchema = z.array(
  z.object({
    name: z.string(),
    version: z.string().optional(),
    state: z.enum(['READY', 'UNAVAILABLE']),
    reason: z.string(),
  }),
);
export const v2RepositoryModelRequestSchema = z.strictObject({
  repository_name: z.string().max(128).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export const v2RepositoryModelSchema = z.object({
  name: z.string(),
  state: z.enum(['READY', 'UNAVAILABLE']),
  versions: z.array(z.string()).meta({ description: 'the versions now served' }),
});
export const v2ServerMetadataSchema = z.object({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});

/** zod issues -> the catalogue's invalid_field error body parts: first issue in the message, all in details. */
export function describeIssues(error: z.ZodError): {
  field: string;
  message: string;
  issues: { field: string; message: string }[];
} {
  const issues = error.issues.map((i) => ({ field: fieldPath(i.path), message: issueMessage(i) }));
  const first = issues[0] ?? { field: '(body)', message: 'is invalid' };
  return { field: first.field, message: `${first.field}: ${first.message}`, issues };
}

function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_type') {
    const got =
      i.input === undefined
        ? 'missing'
        : i.input === null
          ? 'null'
          : Array.isArray(i.input)
            ? 'an array'
            : typeof i.input === 'number'
              ? String(i.input) // 2.5 for an int, NaN from a query's 'NaN': "got number" would say nothing
              : typeof i.input;
    return i.input === undefined ? `is required (${i.expected})` : `expected ${i.expected}, got ${got}`;
  }
  if (i.code === 'unrecognized_keys')
    return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
  return i.message;
}

/** Validates a request body; a failure is the catalogue's invalid_field error naming the first bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body, { reportInput: true });
  if (r.success) return r.data;
  const { field, message, issues } = describeIssues(r.error);
  throw new ApiError('invalid_field', message, { field, issues });
}
