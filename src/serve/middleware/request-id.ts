// A request id on every response (X-Request-Id) and every log line: the caller's own id when it looks
// sane, a fresh UUID otherwise. req.log is the logger bound to it.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SANE_ID = /^[\w.:-]{1,128}$/;

export function requestId({ logger, header = 'x-request-id' }: { logger: Logger; header?: string }): RequestHandler {
  return function requestIdMiddleware(req, res, next) {
    const given = req.get(header);
    req.id = given && SANE_ID.test(given) ? given : randomUUID();
    req.log = logger.child({ reqId: req.id });
    res.setHeader(header, req.id);
    next();
  };
}
