// The HTTP application: middleware and routes around a shared state (registry, draining flag) and
// metrics. createApp does not listen: tests drive it in-process with supertest, src/server.ts listens.
import compression from 'compression';
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../host/metrics.js';
import type { ServerState } from '../host/state.js';
import { errors } from '../predict/errors.js';
import { jsonAnswersEndWithNewline } from './json-answer.js';
import { bearerAuth } from './middleware/auth.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { bodyParserErrors } from './middleware/json-body.js';
import { observeRequests } from './middleware/observe.js';
import { requestId } from './middleware/request-id.js';
import { securityHeaders } from './middleware/security-headers.js';
import { UNREAD_BODY_LIMITS, type UnreadBodyLimits } from './middleware/unread-body.js';
import { openApiDocument } from './openapi.js';
import { cameraRoutes } from './routes/camera.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { kserveRoutes } from './routes/kserve.js';
import { neuronRoutes } from './routes/neurons.js';
import { plotRoutes } from './routes/plots.js';
import { methodNotAllowed, ROUTES, route } from './routes/table.js';
import { uiRoutes } from './routes/ui.js';
import { v1Routes } from './routes/v1.js';

export interface AppOptions {
  /** Bearer token for /v1 and /v2 (health, metrics and the OpenAPI document stay open). */
  token?: string;
  maxFrames: number;
  maxSequences: number;
  maxBodyBytes: number;
  version: string;
  /** Serve the live web page at GET / (src/ui; default on); `indrnn serve --no-ui` turns it off. */
  ui?: boolean;
  /** Where the built page is (dist/ui by default). */
  uiDir?: string;
  /** Origins a browser may call the API from ('*': any); empty: no CORS headers (same origin only). */
  corsOrigins: readonly string[];
  /** Answers from this size on are gzip-compressed for clients that accept it; null: never. */
  compressMinBytes: number | null;
  /** 'explicit': the repository API may load and unload models; 'none': it only lists them (Triton's modes). */
  modelControl: 'none' | 'explicit';
  /** How much of a body an early error answer (401, 404, 413, 415, 503) reads and discards before it ends. */
  unreadBody?: Partial<UnreadBodyLimits>;
}

export const DEFAULT_APP_OPTIONS: AppOptions = {
  maxFrames: 1000,
  maxSequences: 64,
  maxBodyBytes: 8 * 1024 * 1024,
  version: '0.1.0',
  ui: true,
  corsOrigins: [],
  compressMinBytes: 1024,
  modelControl: 'none',
};

/** CORS for the listed origins: the token header may be sent, the request id and Retry-After read. */
function corsFor(origins: readonly string[]): RequestHandler {
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'X-Error-Code', 'Retry-After'],
    maxAge: 600,
  });
}

export interface AppDeps {
  state: ServerState;
  metrics: Metrics;
  logger: Logger;
  options?: Partial<AppOptions>;
}

/** New requests on kept-alive connections while draining get 503 and Connection: close. */
function drainGate(state: ServerState): RequestHandler {
  return function drainGateMiddleware(_req, _res, next) {
    next(state.draining ? errors.shuttingDown() : undefined);
  };
}

export function createApp({ state, metrics, logger, options: given = {} }: AppDeps): Express {
  const options = { ...DEFAULT_APP_OPTIONS, ...given };
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  jsonAnswersEndWithNewline(app);
  app.use(requestId(), securityHeaders(), observeRequests({ metrics, state, logger }));
  // Before any route: a preflight (OPTIONS) is answered here, before the token check.
  if (options.corsOrigins.length > 0) app.use(corsFor(options.corsOrigins));
  if (options.compressMinBytes !== null) app.use(compression({ threshold: options.compressMinBytes }));

  // Open: the probes (before the token check: KServe's are under /v2).
  app.use(healthRoutes({ state }));

  // Protected: the model API, next, so that a predict request passes as few layers as it can: every layer
  // Express passes costs its router a few closures (docs/design.md, "The request path").
  app.use(['/v1', '/v2'], drainGate(state), bearerAuth({ token: options.token }));
  app.use(v1Routes({ state, options }));
  app.use(neuronRoutes({ state }), plotRoutes({ state }), jobRoutes({ state }));
  app.use(kserveRoutes({ state, options: { ...options, serverVersion: options.version } }));

  // Open: metrics, the API description, the live page, the camera page and MediaPipe's files (the pages ask
  // the API themselves, with the user's token when there is one). None of their paths is under /v1 or /v2.
  route(app, ROUTES.metrics, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const openapi = openApiDocument(options.version);
  route(app, ROUTES.openapi, (_req, res) => {
    res.json(openapi);
  });
  if (options.ui !== false) app.use(uiRoutes({ dir: options.uiDir }), cameraRoutes({ dir: options.uiDir }));

  const unreadBody = { ...UNREAD_BODY_LIMITS, ...options.unreadBody };
  app.use(methodNotAllowed(), notFound(), bodyParserErrors, errorHandler({ logger, unreadBody }));
  return app;
}
