// Optional bearer-token auth. The check is a plain function as well, so that a WebSocket upgrade
// handler on the same http.Server can use it on the upgrade request.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { errors } from '../../predict/errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Returns a checker of Authorization header values; with no token, everything passes. */
export function bearerChecker(token: string | undefined): (authorization: string | undefined) => boolean {
  if (!token) return () => true;
  const want = digest(token);
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1]), want); // equal-length digests: no length leak
  };
}

export function bearerAuth({ token }: { token?: string }): RequestHandler {
  const check = bearerChecker(token);
  return function bearerAuthMiddleware(req, _res, next) {
    if (check(req.get('authorization'))) return next();
    next(errors.unauthorized(Boolean(req.get('authorization'))));
  };
}
