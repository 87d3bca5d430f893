// The error catalogue: every error the API returns, with its HTTP status and message template. Every
// error body has one shape, {"error": {"code", "message", "details"}}, and `details.field` names the
// offending part of the request ("frames[3]", "sequences[1].frames", "inputs[0].shape") when there is one.

export interface ErrorDetails {
  /** Path of the offending field in the request body, e.g. "frames[3][4]". */
  field?: string;
  [key: string]: unknown;
}

/** code -> HTTP status. The message is written where the error is raised, with the numbers in it. */
export const ERROR_STATUS = {
  invalid_request: 400, // the request line or path cannot be read (a target that is not a URL, bad %-encoding)
  invalid_json: 400, // the body is not JSON (or cannot be decompressed)
  invalid_field: 400, // a field has the wrong type or value (zod schema)
  invalid_shape: 400, // frames or tensors have the wrong nesting or dimensions for the model
  non_finite_value: 400, // NaN or +-Infinity (JSON 1e999) in the numbers
  empty_sequence: 400, // a sequence without frames
  too_many_frames: 400, // more frames than --max-frames
  too_many_sequences: 400, // more sequences in one request than --max-sequences
  unauthorized: 401, // bearer token missing or wrong
  model_not_found: 404,
  not_found: 404, // no such route
  payload_too_large: 413, // body larger than --max-body-bytes
  unsupported_media_type: 415, // POST without Content-Type: application/json
  not_ready: 503, // no model loaded yet
  overloaded: 503, // the model's queue is full, or a request waited longer than --queue-timeout-ms
  shutting_down: 503, // SIGTERM received: draining
  timeout: 504, // a model run took longer than --run-timeout-ms
  internal: 500, // a bug: never expected
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(): { error: { code: ErrorCode; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
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

// Constructors for errors raised in more than one place, so that their wording stays the same.
export const errors = {
  modelNotFound: (name: string, known: readonly string[]) =>
    new ApiError('model_not_found', `no model named '${name}' (loaded: ${known.join(', ') || 'none'})`, {
      model: name,
      available: [...known],
    }),
  notReady: () => new ApiError('not_ready', 'no model is loaded yet'),
  shuttingDown: () => new ApiError('shutting_down', 'the server is shutting down; retry on another instance'),
  unsupportedMediaType: (got: string | undefined) =>
    new ApiError(
      'unsupported_media_type',
      `expected Content-Type: application/json, got ${got ? `'${got}'` : 'none'}`,
      {
        field: 'Content-Type',
      },
    ),
};
