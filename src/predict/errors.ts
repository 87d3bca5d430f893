// The error catalogue: every error the HTTP API, the stream upgrade and the stream messages can carry, with
// its HTTP status (requests and refused upgrades), the WebSocket close code when a stream is closed with
// it, the headers its HTTP answer adds, and the message templates of errors raised in more than one place.
// Every HTTP error body is {"error": {"code", "message", "details"}}; every stream error message is
// {"type": "error", "code", "message", "field"?}. `details.field` names the offending part of the request
// ("frames[3]", "sequences[1].frames", "inputs[0].shape") when there is one.

export interface ErrorDetails {
  /** Path of the offending field in the request body, e.g. "frames[3][4]". */
  field?: string;
  [key: string]: unknown;
}

/** WebSocket close codes the server uses. */
export const CLOSE = {
  normal: 1000, // the client closed
  goingAway: 1001, // server shutting down
  policy: 1008, // queue_full, too_slow, too_many_errors
  tooBig: 1009, // a message above maxMessageBytes (closed by ws itself)
  internal: 1011,
  idle: 4000, // idle_timeout
} as const;

interface ErrorSpec {
  /** HTTP status of a request or refused upgrade answered with it; null: only stream messages carry it. */
  status: number | null;
  /** Only refused upgrades carry it (not in the HTTP API's error enum). */
  upgradeOnly?: boolean;
  /** The close code of a stream closed with it (after the error message); default 1008. */
  close?: number;
  /** Headers its HTTP answer adds. */
  headers?: Readonly<Record<string, string>>;
}

export const ERRORS = {
  invalid_request: { status: 400 }, // the request target or path cannot be read (not a URL, bad %-encoding)
  invalid_json: { status: 400 }, // the body (or a text message) is not JSON, or cannot be decompressed
  invalid_field: { status: 400 }, // a field has the wrong type or value (zod schema); invalid_message in streams
  invalid_message: { status: null }, // stream: unknown type, missing or wrong field (the field is named)
  invalid_shape: { status: 400 }, // frames or tensors have the wrong nesting or dimensions for the model
  non_finite_value: { status: 400 }, // NaN or +-Infinity (JSON 1e999) in the numbers, or a model output
  empty_sequence: { status: 400 }, // a sequence (or a frames message) without frames
  too_many_frames: { status: 400 }, // more frames than --max-frames (maxFramesPerMessage in streams)
  too_many_sequences: { status: 400 }, // more sequences in one request than --max-sequences
  invalid_state: { status: null }, // stream: frameRate changed after frames were sent (reset first)
  unauthorized: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="indrnn"' } }, // token missing/wrong
  forbidden: { status: 403 }, // an operation the server's settings do not allow (model load/unload without --model-control explicit)
  model_not_found: { status: 404 },
  not_found: { status: 404 }, // no such route
  method_not_allowed: { status: 405 }, // a route that exists, with another method (the Allow header lists them)
  not_streamable: { status: 409, upgradeOnly: true }, // the model samples whole actions (segments)
  precondition_failed: { status: 412 }, // a file route's If-Match / If-Unmodified-Since does not hold
  payload_too_large: { status: 413 }, // body larger than --max-body-bytes
  range_not_satisfiable: { status: 416 }, // a file route's Range lies outside the file
  unsupported_media_type: { status: 415 }, // POST without Content-Type: application/json
  model_load_failed: { status: 400 }, // the model repository could not load the named model (the reason says why)
  not_ready: { status: 503 }, // no model loaded yet
  model_file_changed: { status: 503 }, // a served model's file changed or went away on disk before a reload
  overloaded: { status: 503, headers: { 'Retry-After': '1' } }, // queue full, or waited past --queue-timeout-ms
  too_many_streams: { status: 503, upgradeOnly: true }, // maxConnections streams are open
  shutting_down: { status: 503, headers: { Connection: 'close' } }, // SIGTERM received: draining
  timeout: { status: 504 }, // a model run took longer than --run-timeout-ms
  queue_full: { status: null }, // stream: more steps queued than maxQueuedSteps (closes, 1008)
  too_slow: { status: null }, // stream: predictions unread above maxBufferedBytes (closes, 1008)
  too_many_errors: { status: null }, // stream: maxMalformed malformed messages in a row (closes, 1008)
  idle_timeout: { status: null, close: CLOSE.idle }, // stream: no message for idleTimeoutMs
  internal: { status: 500, close: CLOSE.internal }, // a bug: never expected; logged
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
/** The codes an HTTP request can be answered with (the OpenAPI error enum). */
export const HTTP_ERROR_CODES = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => {
  const spec: ErrorSpec = ERRORS[c];
  return spec.status !== null && !spec.upgradeOnly;
});

export class ApiError extends Error {
  readonly status: number;
  /** The close code of a stream closed with it. */
  readonly close: number;
  /** Headers of its HTTP answer. */
  readonly headers: Readonly<Record<string, string>>;
  readonly details: ErrorDetails;
  /** `details`: the details, or just the offending field's path. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: ErrorDetails | string = {},
  ) {
    super(message);
    this.details = typeof details === 'string' ? { field: details } : details;
    const spec: ErrorSpec = ERRORS[code];
    this.status = spec.status ?? 400;
    this.close = spec.close ?? CLOSE.policy;
    this.headers = spec.headers ?? {};
  }

  toBody(): { error: { code: ErrorCode; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }

  /** As a stream message; a field error of the HTTP checks (invalid_field) is an invalid_message there. */
  toMessage(): { type: 'error'; code: ErrorCode; message: string; field?: string } {
    const code = this.code === 'invalid_field' ? 'invalid_message' : this.code;
    const field = this.details.field;
    return field === undefined
      ? { type: 'error', code, message: this.message }
      : { type: 'error', code, message: this.message, field };
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
  modelNotFound: (name: string, known: readonly string[]) =>
    new ApiError('model_not_found', `no model named '${name}' (loaded: ${known.join(', ') || 'none'})`, {
      model: name,
      available: [...known],
    }),
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
