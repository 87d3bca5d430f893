// JSON bodies for POST routes: 415 unless Content-Type is application/json, a size limit (413), and
// parse errors as the catalogue's error shape. Express's own parser does the parsing.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { ApiError, errors } from '../errors.js';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

export function jsonBody({ limitBytes = 8 * 1024 * 1024 }: { limitBytes?: number } = {}): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true });
  const requireJson: RequestHandler = function requireJson(req, _res, next) {
    // From the header alone: req.is() answers null for a request without a body.
    const type = req.get('content-type');
    if (!type || !JSON_TYPE.test(type.split(';')[0].trim())) return next(errors.unsupportedMediaType(type));
    next();
  };
  return [requireJson, parse];
}

/** Turns body-parser's errors (type 'entity.parse.failed', 'entity.too.large', ...) into ApiErrors. */
export const bodyParserErrors: ErrorRequestHandler = function bodyParserErrors(err, _req, _res, next) {
  switch (err?.type) {
    case 'entity.parse.failed':
      return next(
        new ApiError('invalid_json', `the request body is not valid JSON: ${err.message}`, { field: '(body)' }),
      );
    case 'entity.too.large':
      return next(
        new ApiError(
          'payload_too_large',
          `the request body has ${err.length} bytes, the limit is ${err.limit} (--max-body-bytes)`,
          { limit: err.limit, got: err.length },
        ),
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return next(
        new ApiError('unsupported_media_type', `unsupported body encoding: ${err.message}`, { field: 'Content-Type' }),
      );
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return next(
        new ApiError('invalid_json', `the request body could not be read: ${err.message}`, { field: '(body)' }),
      );
    default:
      return next(err);
  }
};
