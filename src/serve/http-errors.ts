// How an error travels over HTTP, for requests and refused stream upgrades alike: each code's status (null:
// only stream messages carry it), the headers its answer adds, whether only refused upgrades carry it (not
// in the HTTP API's error enum), and the body {"error": {"code", "message", "details"}}. The codes and what
// they mean are the catalogue's (src/predict/errors.ts).
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError, ErrorCode } from '../predict/errors.js';
import { jsonText } from './json-answer.js';

type HttpErrorSpec = { status: number | null; upgradeOnly?: true; headers?: Readonly<Record<string, string>> };

const HTTP_ERRORS: Record<ErrorCode, HttpErrorSpec> = {
  invalid_request: { status: 400 },
  invalid_json: { status: 400 },
  invalid_field: { status: 400 },
  invalid_message: { status: null },
  invalid_shape: { status: 400 },
  non_finite_value: { status: 400 },
  empty_sequence: { status: 400 },
  too_many_frames: { status: 400 },
  too_many_sequences: { status: 400 },
  invalid_state: { status: null },
  unauthorized: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="indrnn"' } },
  forbidden: { status: 403 },
  model_not_found: { status: 404 },
  job_not_found: { status: 404 },
  too_many_jobs: { status: 429, headers: { 'Retry-After': '10' } },
  not_found: { status: 404 },
  method_not_allowed: { status: 405 }, // the Allow header (set by the route table) lists the methods
  not_streamable: { status: 409, upgradeOnly: true },
  precondition_failed: { status: 412 },
  payload_too_large: { status: 413 },
  range_not_satisfiable: { status: 416 },
  unsupported_media_type: { status: 415 },
  model_load_failed: { status: 400 },
  not_ready: { status: 503 },
  model_file_changed: { status: 503 },
  overloaded: { status: 503, headers: { 'Retry-After': '1' } },
  too_many_streams: { status: 503, upgradeOnly: true },
  shutting_down: { status: 503, headers: { Connection: 'close' } },
  timeout: { status: 504 },
  queue_full: { status: null },
  too_slow: { status: null },
  too_many_errors: { status: null },
  idle_timeout: { status: null },
  internal: { status: 500 },
};

/** The codes an HTTP request can be answered with (the OpenAPI error enum). */
export const HTTP_ERROR_CODES = (Object.keys(HTTP_ERRORS) as ErrorCode[]).filter(
  (c) => HTTP_ERRORS[c].status !== null && !HTTP_ERRORS[c].upgradeOnly,
);

/** A code's HTTP status (400 for the codes only streams carry). */
export const httpStatus = (code: ErrorCode): number => HTTP_ERRORS[code].status ?? 400;

/** The HTTP answer to an error: its status, the headers it adds, its body. */
export function httpAnswer(e: ApiError) {
  const body = { error: { code: e.code, message: e.message, details: e.details } };
  return { status: httpStatus(e.code), headers: HTTP_ERRORS[e.code].headers ?? {}, body };
}

/** A refused stream upgrade (a request express never sees), answered on its socket: httpAnswer, Connection: close. */
export function refuseUpgrade(socket: Duplex, e: ApiError): void {
  const { status, headers, body } = httpAnswer(e);
  const json = jsonText(body);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n`;
  for (const [k, v] of Object.entries(headers)) if (k !== 'Connection') head += `${k}: ${v}\r\n`;
  socket.end(`${head}Connection: close\r\n\r\n${json}`);
}
