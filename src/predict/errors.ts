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
  /** HTTP status of a request or upgrade answered with this error; null: only a stream message carries it. */
  status: number | null;
  /** The close code of a stream closed with this error (after the error message). */
  close?: number;
  /** Headers the HTTP answer adds. */
  headers?: Readonly<Record<string, string>>;
  /** Where the code is used: http (requests), upgrade (refused streams), message (stream error messages). */
  in: readonly ('http' | 'upgrade' | 'message')[];
  about: string;
}

const BEARER = { 'WWW-Authenticate': 'Bearer realm="indrnn"' };

export const ERRORS = {
  invalid_request: { status: 400, in: ['http', 'upgrade'], about: 'the request target or path cannot be read' },
  invalid_json: { status: 400, in: ['http', 'message'], about: 'the body or text message is not JSON' },
  invalid_field: { status: 400, in: ['http'], about: 'a field has the wrong type or value (zod schema)' },
  invalid_message: { status: null, in: ['message'], about: 'unknown type, missing or wrong field (named)' },
  invalid_shape: { status: 400, in: ['http', 'message'], about: 'frames or tensors with the wrong nesting or size' },
  non_finite_value: { status: 400, in: ['http', 'message'], about: 'NaN or +-Infinity (JSON 1e999) among the numbers' },
  empty_sequence: { status: 400, in: ['http', 'message'], about: 'a sequence without frames' },
  too_many_frames: { status: 400, in: ['http', 'message'], about: 'more frames than --max-frames' },
  too_many_sequences: { status: 400, in: ['http'], about: 'more sequences in one request than --max-sequences' },
  invalid_state: { status: null, in: ['message'], about: 'frameRate changed after frames were sent (reset first)' },
  unauthorized: { status: 401, headers: BEARER, in: ['http', 'upgrade'], about: 'bearer token missing or wrong' },
  model_not_found: { status: 404, in: ['http', 'upgrade'], about: 'no such model (or version)' },
  not_found: { status: 404, in: ['http', 'upgrade'], about: 'no such route' },
  not_streamable: { status: 409, in: ['upgrade'], about: 'the model samples whole actions and cannot stream' },
  payload_too_large: { status: 413, in: ['http'], about: 'body larger than --max-body-bytes' },
  unsupported_media_type: { status: 415, in: ['http'], about: 'POST without Content-Type: application/json' },
  not_ready: { status: 503, in: ['http', 'upgrade'], about: 'no model is loaded yet' },
  overloaded: {
    status: 503,
    headers: { 'Retry-After': '1' },
    in: ['http'],
    about: "the model's queue is full, or a request waited longer than --queue-timeout-ms",
  },
  too_many_streams: { status: 503, in: ['upgrade'], about: 'maxConnections streams are open' },
  shutting_down: {
    status: 503,
    headers: { Connection: 'close' },
    in: ['http', 'upgrade'],
    about: 'SIGTERM received: draining',
  },
  queue_full: { status: null, close: CLOSE.policy, in: ['message'], about: 'more steps queued than maxQueuedSteps' },
  too_slow: { status: null, close: CLOSE.policy, in: ['message'], about: 'predictions unread above maxBufferedBytes' },
  too_many_errors: { status: null, close: CLOSE.policy, in: ['message'], about: 'maxMalformed bad messages in a row' },
  idle_timeout: { status: null, close: CLOSE.idle, in: ['message'], about: 'no message for idleTimeoutMs' },
  timeout: { status: 504, in: ['http'], about: 'a model run took longer than --run-timeout-ms' },
  internal: { status: 500, close: CLOSE.internal, in: ['http', 'upgrade', 'message'], about: 'a bug: never expected' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
/** The codes an HTTP request can be answered with (the OpenAPI error enum). */
export const HTTP_ERROR_CODES = (Object.keys(ERRORS) as ErrorCode[]).filter((c) =>
  (ERRORS[c].in as readonly string[]).includes('http'),
);

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.status = ERRORS[code].status ?? 400;
  }

  /** Headers of its HTTP answer. */
  get headers(): Readonly<Record<string, string>> {
    const spec: ErrorSpec = ERRORS[this.code];
    return spec.headers ?? {};
  }

  /** The close code of a stream closed with it. */
  get close(): number {
    const spec: ErrorSpec = ERRORS[this.code];
    return spec.close ?? CLOSE.policy;
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
    new ApiError('unauthorized', given ? 'the bearer token is not valid' : missing, { field: 'Authorization' }),
  unsupportedMediaType: (got: string | undefined) =>
    new ApiError(
      'unsupported_media_type',
      `expected Content-Type: application/json, got ${got ? `'${got}'` : 'none'}`,
      {
        field: 'Content-Type',
      },
    ),
  /** `what` is a field ("frames") or "the binary message". */
  tooManyFrames: (what: string, field: string, got: number, limit: number) =>
    new ApiError('too_many_frames', `${what} has ${got} frames, the limit is ${limit}`, { field, limit, got }),
  nonFinite: (field: string, v: number) =>
    new ApiError('non_finite_value', `${field} is ${v}, expected a finite number`, { field }),
  internal: (message: string, details: ErrorDetails = {}) => new ApiError('internal', message, details),
};
