// The last handlers: unknown routes are 404 not_found, ApiErrors become their body, anything else is a
// bug, logged with its stack and answered as 500 internal without internals. Under /v2 the body is the
// KServe protocol's {"error": "<message>"}; the code is in the X-Error-Code header on every error.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../../predict/errors.js';
import { httpAnswer } from '../http-errors.js';
import { sendJson, UNREAD_BODY_LIMITS, type UnreadBodyLimits } from './unread-body.js';

/** KServe v2 routes answer errors in the protocol's shape. */
export function isKservePath(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

export function notFound(): RequestHandler {
  return function notFoundHandler(req, _res, next) {
    next(
      new ApiError('not_found', `no route ${req.method} ${req.path}; see GET /openapi.json`, {
        method: req.method,
        path: req.path,
      }),
    );
  };
}

/**
 * `logger` gets the unhandled errors, with the request's id (reqId) first. An error answered before the
 * request's body was read (401, 404, 413, 415, 503) waits for that body, within `unreadBody` (unread-body.ts).
 */
export function errorHandler({
  logger,
  unreadBody = UNREAD_BODY_LIMITS,
}: {
  logger: Logger;
  unreadBody?: UnreadBodyLimits;
}): ErrorRequestHandler {
  return function errorHandlerMiddleware(err, req, res, next) {
    if (res.headersSent) return next(err);
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err instanceof URIError) {
      // The router's percent-decoding of a path parameter (`/v1/models/%ff`).
      e = new ApiError(
        'invalid_request',
        `the path ${req.path} is not valid percent-encoding (${err.message})`,
        'path',
      );
    } else {
      logger.error({ reqId: req.id, err }, 'unhandled error');
      e = new ApiError('internal', 'internal error; the request id identifies it in the server log', {
        requestId: req.id,
      });
    }
    const answer = httpAnswer(e);
    res.set(answer.headers).set('X-Error-Code', e.code).status(answer.status);
    sendJson(req, res, isKservePath(req.path) ? { error: e.message } : answer.body, unreadBody);
  };
}
