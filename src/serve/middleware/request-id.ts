// A request id on every response (X-Request-Id) and every log line: the caller's own id when it looks
// sane, a fresh UUID otherwise. req.log is the logger bound to it, made the first time it is used (a pino
// child per request allocates ~3 kB, for the few requests that log more than their one line: see observe.ts).
import { randomUUID } from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SANE_ID = /^[\w.:-]{1,128}$/;

/** Gives every request of `app` a req.log: `logger` bound to req.id, made on first use. */
export function requestLog(app: Express, logger: Logger): void {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: Request): Logger {
      const log = logger.child({ reqId: this.id });
      Object.defineProperty(this, 'log', { value: log });
      return log;
    },
  });
}

export function requestId({ header = 'x-request-id' }: { header?: string } = {}): RequestHandler {
  return function requestIdMiddleware(req, res, next) {
    const given = req.get(header);
    req.id = given && SANE_ID.test(given) ? given : randomUUID();
    res.setHeader(header, req.id);
    next();
  };
}
