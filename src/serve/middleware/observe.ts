// One log line and the HTTP metrics per request, written when the response has been sent (or the
// connection dropped). The route label is the route's template from the route table ('/v1/models/{name}'),
// never the raw URL, so that unknown paths ('unmatched') cannot blow up the metric's cardinality. An
// inference route also counts per model version, for a model that is loaded. Secrets in the query
// (`?token=`, which streams accept, also percent-encoded) are redacted from the logged URL.
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../../host/metrics.js';
import type { ServerState } from '../../host/state.js';
import { redactUrl } from '../../util/query-secrets.js';
import { type RouteLocals, templateMatcher } from '../routes/table.js';

export function observeRequests({
  metrics,
  state,
  logger,
}: {
  metrics: Metrics;
  state: ServerState;
  logger: Logger;
}): RequestHandler {
  const match = templateMatcher();
  /** The route that answered; for an answer before routing (401, draining 503) the template of its path. */
  const routeLabel = (res: Response, url: string): string => {
    const answered = (res.locals as RouteLocals).route?.path;
    if (answered) return answered;
    const q = url.indexOf('?');
    return match(q < 0 ? url : url.slice(0, q))?.spec.path ?? 'unmatched';
  };
  return function observeRequestsMiddleware(req, res, next) {
    const start = process.hrtime.bigint();
    metrics.inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      metrics.inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeLabel(res, req.originalUrl);
      const status = res.writableFinished ? res.statusCode : 499; // 499: client closed the connection first
      metrics.requests.inc({ route, method: req.method, status: String(status) });
      metrics.requestDuration.observe({ route, method: req.method }, seconds);
      const locals = res.locals as RouteLocals;
      if (locals.route?.perModel && locals.params?.name !== undefined) {
        const served = state.registry?.get(locals.params.name, locals.params.version);
        if (served) metrics.modelRequest(served, status, seconds);
      }
      // One line per request, from the server's logger with the id as its first field (what a child
      // logger bound to the id would write, without one per request).
      const level = status >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        reqId: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl),
        route,
        status,
        ms: Math.round(seconds * 1e5) / 100,
      };
      logger[level](line, 'request');
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
