// JSON bodies for POST routes: 415 unless Content-Type is application/json, a size limit (413), and
// parse errors as the catalogue's error shape. Express's own parser does the parsing. With `binary`, an
// application/octet-stream body is read as it is (a Buffer in req.body, same limit): predict's binary frames.
// With `jsonBytes`, a UTF-8 JSON body is read as bytes too (jsonBytesOf) and the route parses it: predict
// reads its frames straight from the bytes (src/predict/frames-text.ts) and gives anything else to
// parseJsonBytes, which parses as Express's parser does.
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { ApiError, errors } from '../../predict/errors.js';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

const BINARY_TYPE = /^application\/octet-stream$/i;

/** True when the request declares an application/octet-stream body. */
export function isBinaryBody(req: Request): boolean {
  const type = req.get('content-type');
  return type !== undefined && BINARY_TYPE.test(type.split(';')[0].trim());
}

/** Set on a request whose JSON body jsonBody read as bytes. */
const JSON_BYTES = Symbol('json body as bytes');

/** The JSON body as bytes when jsonBody({jsonBytes: true}) read it so (parse it with parseJsonBytes), else null. */
export function jsonBytesOf(req: Request): Buffer | null {
  return (req as unknown as Record<symbol, boolean>)[JSON_BYTES] && Buffer.isBuffer(req.body) ? req.body : null;
}

/** A JSON body's bytes parsed as Express's parser (strict off) parses them, with its errors as ApiErrors. */
export function parseJsonBytes(bytes: Buffer): unknown {
  if (bytes.length === 0) return {}; // body-parser's special case
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // its decoder drops a BOM
  } catch (e) {
    throw new ApiError('invalid_json', `the request body is not valid JSON: ${(e as Error).message}`, '(body)');
  }
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** No charset, or UTF-8 (what body-parser decodes by default); other charsets stay with its decoder. */
function isUtf8Body(req: Request): boolean {
  const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1].toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

export function jsonBody({
  limitBytes = 8 * 1024 * 1024,
  binary = false,
  jsonBytes = false,
}: {
  limitBytes?: number;
  binary?: boolean;
  jsonBytes?: boolean;
} = {}): RequestHandler[] {
  const json = express.json({ limit: limitBytes, strict: false, type: () => true });
  const raw = express.raw({ limit: limitBytes, type: () => true });
  const rawJson: RequestHandler = (req, res, next) =>
    raw(req, res, (err?: unknown) => {
      if (!err) (req as unknown as Record<symbol, boolean>)[JSON_BYTES] = true;
      next(err);
    });
  const parse: RequestHandler = (req, res, next) => {
    if (binary && isBinaryBody(req)) return raw(req, res, next);
    if (jsonBytes && isUtf8Body(req)) return rawJson(req, res, next);
    json(req, res, next);
  };
  const requireJson: RequestHandler = function requireJson(req, _res, next) {
    // From the header alone: req.is() answers null for a request without a body.
    const type = req.get('content-type');
    if (binary && isBinaryBody(req)) return next();
    if (!type || !JSON_TYPE.test(type.split(';')[0].trim()))
      return next(
        errors.unsupportedMediaType(type, binary ? 'application/json or application/octet-stream' : undefined),
      );
    next();
  };
  // body-parser reads a refused body to its end before answering: a declared size above the limit is
  // answered at once instead, and the connection closed once the body is read and thrown away, within
  // the limits of middleware/unread-body.ts (the client may never send those bytes).
  const refuseDeclaredOversize: RequestHandler = function refuseDeclaredOversize(req, res, next) {
    const declared = Number(req.get('content-length') ?? 0);
    if (!(declared > limitBytes)) return next();
    res.setHeader('Connection', 'close');
    next(tooLarge(limitBytes, declared, true));
  };
  return [requireJson, refuseDeclaredOversize, parse];
}

function tooLarge(limit: number, got: number, declared: boolean): ApiError {
  const what = declared ? `declares ${got} bytes` : `has more than ${limit} bytes (${got} read)`;
  return new ApiError('payload_too_large', `the request body ${what}, the limit is ${limit} (--max-body-bytes)`, {
    limit,
    got,
  });
}

/** Turns body-parser's errors (type 'entity.parse.failed', 'entity.too.large', ...) into ApiErrors. */
export const bodyParserErrors: ErrorRequestHandler = function bodyParserErrors(err, req, _res, next) {
  switch (err?.type) {
    case 'entity.parse.failed':
      return next(new ApiError('invalid_json', `the request body is not valid JSON: ${err.message}`, '(body)'));
    case 'entity.too.large':
      // `length` is the declared size; a chunked or compressed body has only the bytes `received`.
      return next(tooLarge(err.limit, err.length ?? err.received, err.length !== undefined));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return next(new ApiError('unsupported_media_type', `unsupported body encoding: ${err.message}`, 'Content-Type'));
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return next(new ApiError('invalid_json', `the request body could not be read: ${err.message}`, '(body)'));
    default:
      // The decompressor's errors (zlib's Z_DATA_ERROR, brotli's ...) for a body that is not what its
      // Content-Encoding says: body-parser marks them 400 and exposable, without a type.
      if (err?.status === 400 && err.expose && !(err instanceof URIError) && req.get('content-encoding')) {
        return next(
          new ApiError(
            'invalid_json',
            `the request body could not be decompressed: ${err.message}`,
            'Content-Encoding',
          ),
        );
      }
      return next(err);
  }
};
