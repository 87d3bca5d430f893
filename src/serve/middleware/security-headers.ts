// Conservative security headers for a JSON API that no browser should frame, sniff or cache.
import type { RequestHandler } from 'express';

export function securityHeaders({ hsts = false }: { hsts?: boolean } = {}): RequestHandler {
  const headers: [string, string][] = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Cache-Control', 'no-store'],
  ];
  if (hsts) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return function securityHeadersMiddleware(_req, res, next) {
    for (const [k, v] of headers) res.setHeader(k, v);
    next();
  };
}
