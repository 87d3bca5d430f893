// The WebSocket streaming protocol (/v1/models/{name}/stream): every client and server message as a zod
// schema (the single source of the message types), and how an error travels on a stream: as an error
// message, and the close code when it closes the stream. The error codes are the catalogue's
// (src/predict/errors.ts). docs/streaming.md describes the same.
//
// Client -> server, text (JSON):
//   {"type": "frames", "frames": [frame, ...]}     frames as in HTTP predict (T x J x 3, T x B x J x 3, T x D)
//   {"type": "reset"}                              a new sequence: zero the state, restart frame numbers
//   {"type": "config", "every"?, "topK"?, "frameRate"?, "layerStates"?, "layout"?, "channels"?, "minScore"?}
// Client -> server, binary: float32 little-endian frames, each of the full frame size (B*J*C joints with
// absent bodies as zeros, C = "channels": 3, or 2 by default for 2D models; or input_size raw values;
// B*33*C after a config with "layout": "mediapipe33"), any number of frames per message; read and checked
// as an HTTP binary body (src/predict/binary-frames.ts). The ready message and each config ack give the size.
// Server -> client: ready (once), prediction (per model step, or every N), config / reset (acks), error;
// for detection models also action start/end events.
//   {"type": "config", ..., "smoothing"?, "startThreshold"?, "endThreshold"?, "minSteps"?}  (detection models)
import { z } from 'zod';
import { ApiError, type ErrorCode, fieldPath } from '../predict/errors.js';
import { layoutFieldSchema } from '../predict/layout-conversion.js';
import { channelsFieldSchema, minScoreFieldSchema } from '../predict/point-options.js';
import { FRAME_RATE } from '../predict/rate.js';
import { decisionRuleSchema } from '../predict/segments.js';

export const configMessageSchema = z.strictObject({
  type: z.literal('config'),
  every: z.number().int().min(1).max(100_000).optional().meta({ description: 'predict every N model steps' }),
  topK: z.number().int().min(1).max(1000).optional(),
  frameRate: z
    .number()
    .min(FRAME_RATE.min)
    .max(FRAME_RATE.max)
    .optional()
    .meta({ description: "the client's frames per second (rate models); only before the first frame or after reset" }),
  layerStates: z
    .boolean()
    .optional()
    .meta({ description: "add each recurrent layer's state (the chosen state's h, [L][H]) to every prediction" }),
  layout: layoutFieldSchema,
  channels: channelsFieldSchema,
  minScore: minScoreFieldSchema,
  // Detection models (with a background label): the decision rule of the action events (src/predict/segments.ts).
  ...decisionRuleSchema.partial().shape,
});
export const framesMessageSchema = z.strictObject({ type: z.literal('frames'), frames: z.array(z.unknown()) });
export const resetMessageSchema = z.strictObject({ type: z.literal('reset') });
export const clientMessageSchema = z.discriminatedUnion('type', [
  framesMessageSchema,
  resetMessageSchema,
  configMessageSchema,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ConfigMessage = z.infer<typeof configMessageSchema>;

const scored = z.object({
  label: z.string(),
  index: z.number().int(),
  probability: z.number(),
  ntuAction: z.number().int().optional(),
});
export const streamConfigSchema = z.object({
  every: z.number().int(),
  topK: z.number().int(),
  frameRate: z.number(),
  layerStates: z.boolean(),
  /** The joint layout frames are read in (the model's unless configured); null for models without one. */
  layout: z.string().nullable(),
  /** Floats per joint of a binary frame (2 or 3); null for models without a layout. */
  channels: z.number().int().nullable(),
  /** 2D models: a point [x, y, score] scored below this is missing; null for other models. */
  minScore: z.number().nullable(),
  ...decisionRuleSchema.partial().shape,
});
export type StreamConfig = z.infer<typeof streamConfigSchema>;

/** Fields of every prediction message. */
const predictionStep = {
  type: z.literal('prediction'),
  frame: z.number().int().meta({ description: 'source frame index since connect or reset' }),
  step: z.number().int().meta({ description: 'model step index (= frame unless the model resamples)' }),
  history: z.number().int().meta({ description: 'steps in the state the prediction was read from' }),
  layers: z
    .array(z.array(z.number()))
    .optional()
    .meta({ description: 'with config layerStates: the state h of each recurrent layer after this step, [L][H]' }),
};
export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    model: z.string(),
    version: z.string(),
    taskKind: z.enum(['classification', 'regression']),
    /** Values per frame in a binary message (float32 each). */
    frameSize: z.number().int(),
    /** Model steps per second (rate models), null: one step per frame. */
    stepRate: z.number().nullable(),
    window: z.number().int().nullable(),
    states: z.number().int(),
    config: streamConfigSchema,
    limits: z.object({
      maxFramesPerMessage: z.number().int(),
      maxQueuedSteps: z.number().int(),
      maxMessageBytes: z.number().int(),
      idleTimeoutMs: z.number().int(),
    }),
  }),
  scored.extend({ ...predictionStep, topK: z.array(scored) }),
  z.object({ ...predictionStep, value: z.number() }),
  z.object({
    type: z.literal('config'),
    config: streamConfigSchema,
    /** Floats per frame of a binary message under this config (its layout and channels). */
    frameSize: z.number().int(),
  }),
  // Detection models: an action began (frame: its first frame, announced minSteps - 1 steps later) or ended.
  z.object({
    type: z.literal('action'),
    event: z.literal('start'),
    label: z.string(),
    index: z.number().int(),
    frame: z.number().int(),
    probability: z.number(),
  }),
  z.object({
    type: z.literal('action'),
    event: z.literal('end'),
    label: z.string(),
    index: z.number().int(),
    startFrame: z.number().int(),
    frame: z.number().int().meta({ description: 'last frame of the action' }),
    probability: z.number(),
  }),
  z.object({ type: z.literal('reset'), discarded: z.number().int() }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
  }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** WebSocket close codes the server sends (1000 is the client's, 1009 ws's own for a message above maxMessageBytes). */
export const CLOSE = { goingAway: 1001, policy: 1008, internal: 1011, idle: 4000 } as const;
const CLOSE_CODES: Partial<Record<ErrorCode, number>> = { idle_timeout: CLOSE.idle, internal: CLOSE.internal };
/** The close code of a stream closed with an error, after the error message: 1008 (policy) unless listed above. */
export const closeCode = (code: ErrorCode): number => CLOSE_CODES[code] ?? CLOSE.policy;

/** An error as a stream message; a field error of the HTTP checks (invalid_field) is an invalid_message here. */
export function errorMessage(e: ApiError): ServerMessage {
  const code = e.code === 'invalid_field' ? 'invalid_message' : e.code;
  const field = e.details.field;
  return field === undefined
    ? { type: 'error', code, message: e.message }
    : { type: 'error', code, message: e.message, field };
}

/** Parses a text message into a client message, or throws an ApiError naming the field. */
export function parseClientMessage(text: string): ClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ApiError('invalid_json', `the message is not JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ApiError('invalid_message', 'a message is a JSON object with a "type"', 'type');
  }
  const r = clientMessageSchema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = fieldPath(issue.path);
  if (issue.path.length === 1 && issue.path[0] === 'type') {
    const got = (json as { type?: unknown }).type;
    throw new ApiError(
      'invalid_message',
      `type is ${got === undefined ? 'missing' : JSON.stringify(got)}, expected one of "frames", "reset", "config"`,
      'type',
    );
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    throw new ApiError('invalid_message', `${key} is not a field of a "${(json as any).type}" message`, key);
  }
  throw new ApiError('invalid_message', `${field}: ${issue.message}`, field);
}
