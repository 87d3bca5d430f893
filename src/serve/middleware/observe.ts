// One log line and the HTTP metrics per request, written when the response has been sent (or the
// connection dropped). The route label is the matched route pattern, never the raw URL, so that
// unknown paths cannot blow up the metric's cardinality. Secrets in the query (`?token=`, which streams
// accept) are redacted from the logged URL.
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../host/metrics.js';

const SECRET_PARAM = /([?&](?:token|access_token|api_key|apikey|key|password)=)[^&#]*/gi;

/** The URL with the values of secret-bearing query parameters replaced by [redacted]. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAM, '$1[redacted]');
}

function routeLabel(req: Request): string {
  const pattern = req.route?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
}

export function observeRequests({ metrics }: { metrics: Metrics }): RequestHandler {
  return function observeRequestsMiddleware(req, res, next) {
    const start = process.hrtime.bigint();
    metrics.inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      metrics.inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeLabel(req);
      const status = res.writableFinished ? res.statusCode : 499; // 499: client closed the connection first
      metrics.requests.inc({ route, method: req.method, status: String(status) });
      metrics.requestDuration.observe({ route, method: req.method }, seconds);
      const line = {
        method: req.method,
        url: redactUrl(req.originalUrl),
        route,
        status,
        ms: Math.round(seconds * 1e5) / 100,
      };
      if (status >= 500) req.log.error(line, 'request');
      else req.log.info(line, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
