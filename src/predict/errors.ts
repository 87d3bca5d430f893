// The error catalogue: every error code the HTTP API, the stream upgrade and the stream messages can carry,
// what it means, and the message templates of errors raised in more than one place. An error is a code, a
// message and details; `details.field` names the offending part of the request ("frames[3]",
// "sequences[1].frames", "inputs[0].shape") when there is one. How an error travels is the servers' part:
// its HTTP status, headers and body in src/serve/http-errors.ts, its stream message and close code in
// src/stream/protocol.ts.

export interface ErrorDetails {
  /** Path of the offending field in the request body, e.g. "frames[3][4]". */
  field?: string;
  [key: string]: unknown;
}

export type ErrorCode =
  | 'invalid_request' // the request target or path cannot be read (not a URL, bad %-encoding)
  | 'invalid_json' // the body (or a text message) is not JSON, or cannot be decompressed
  | 'invalid_field' // a field has the wrong type or value (zod schema); invalid_message in streams
  | 'invalid_message' // stream: unknown type, missing or wrong field (the field is named)
  | 'invalid_shape' // frames or tensors have the wrong nesting or dimensions for the model
  | 'non_finite_value' // NaN or +-Infinity (JSON 1e999) in the numbers, or a model output
  | 'empty_sequence' // a sequence (or a frames message) without frames
  | 'too_many_frames' // more frames than --max-frames (maxFramesPerMessage in streams)
  | 'too_many_sequences' // more sequences in one request than --max-sequences
  | 'invalid_state' // stream: frameRate changed after frames were sent (reset first)
  | 'unauthorized' // the token is missing or wrong
  | 'forbidden' // an operation the server's settings do not allow (model load/unload without --model-control explicit)
  | 'model_not_found'
  | 'job_not_found' // no training job with that id (or it was forgotten: only the latest finished ones are kept)
  | 'too_many_jobs' // the training queue is full (--training: one job runs, a few wait)
  | 'not_found' // no such route
  | 'method_not_allowed' // a route that exists, with another method
  | 'not_streamable' // stream upgrade: the model samples whole actions (segments)
  | 'precondition_failed' // a file route's If-Match / If-Unmodified-Since does not hold
  | 'payload_too_large' // body larger than --max-body-bytes
  | 'range_not_satisfiable' // a file route's Range lies outside the file
  | 'unsupported_media_type' // POST without Content-Type: application/json
  | 'model_load_failed' // the model repository could not load the named model (the reason says why)
  | 'not_ready' // no model loaded yet
  | 'model_file_changed' // a served model's file changed or went away on disk before a reload
  | 'overloaded' // queue full, or waited past --queue-timeout-ms
  | 'too_many_streams' // stream upgrade: maxConnections streams are open
  | 'shutting_down' // SIGTERM received: draining
  | 'timeout' // a model run took longer than --run-timeout-ms
  | 'queue_full' // stream: more steps queued than maxQueuedSteps
  | 'too_slow' // stream: predictions unread above maxBufferedBytes
  | 'too_many_errors' // stream: maxMalformed malformed messages in a row
  | 'idle_timeout' // stream: no message for idleTimeoutMs
  | 'internal'; // a bug: never expected; logged

export class ApiError extends Error {
  readonly details: ErrorDetails;
  /** `details`: the details, or just the offending field's path. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: ErrorDetails | string = {},
  ) {
    super(message);
    this.details = typeof details === 'string' ? { field: details } : details;
  }
}

/** Formats a path like ["sequences", 1, "frames", 3] as "sequences[1].frames[3]". */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s ? `.${String(p)}` : String(p);
  }
  return s || '(body)';
}

// The message templates of errors raised in more than one place (HTTP, upgrade, stream), so that their
// wording stays the same.
export const errors = {
  /** `field`: the request field that named it (a job's base), when not the path. */
  modelNotFound: (name: string, known: readonly string[], field?: string) =>
    new ApiError(
      'model_not_found',
      `${field ? `${field}: ` : ''}no model named '${name}' (loaded: ${known.join(', ') || 'none'})`,
      Object.assign(field ? { field } : {}, { model: name, available: [...known] }),
    ),
  notReady: () => new ApiError('not_ready', 'no model is loaded yet'),
  shuttingDown: () => new ApiError('shutting_down', 'the server is shutting down; retry on another instance'),
  /** `given`: an Authorization header (or token) was sent; `missing`: what to send. */
  unauthorized: (given: boolean, missing = 'this endpoint needs Authorization: Bearer <token>') =>
    new ApiError('unauthorized', given ? 'the bearer token is not valid' : missing, 'Authorization'),
  unsupportedMediaType: (got: string | undefined, expected = 'application/json') =>
    new ApiError(
      'unsupported_media_type',
      `expected Content-Type: ${expected}, got ${got ? `'${got}'` : 'none'}`,
      'Content-Type',
    ),
  /** `what` is a field ("frames") or "the binary payload". */
  tooManyFrames: (what: string, field: string, got: number, limit: number) =>
    new ApiError('too_many_frames', `${what} has ${got} frames, the limit is ${limit}`, { field, limit, got }),
  nonFinite: (field: string, v: number) =>
    new ApiError('non_finite_value', `${field} is ${v}, expected a finite number`, field),
};
