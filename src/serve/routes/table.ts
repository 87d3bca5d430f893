// The route table: every HTTP route of the API with its method, path template, request and response
// schemas and the errors it can answer. The route modules register their handlers through it (route()),
// and openapi.ts writes the OpenAPI document from it, so the two cannot drift apart.
import type { IRouter, NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { ApiError, type ErrorCode } from '../../predict/errors.js';
import { jobAcceptedSchema, jobListSchema, jobRequestSchema, jobSchema } from '../jobs-schema.js';
import { neuronsSchema } from '../neurons-schema.js';
import { modelPlotsSchema } from '../plots-schema.js';
import * as s from '../schemas.js';

export interface RouteResponse {
  readonly description: string;
  /** JSON body schema; absent with `text` or for an undescribed JSON document. */
  readonly schema?: z.ZodType;
  /** A text/plain body instead of JSON. */
  readonly text?: true;
}

export interface RouteSpec {
  readonly method: 'get' | 'post' | 'delete';
  /** The OpenAPI operationId: the method name a generated client gives the route (unique). */
  readonly operationId: string;
  /** OpenAPI path template, e.g. '/v1/models/{name}/predict' (Express gets '/v1/models/:name/predict'). */
  readonly path: string;
  readonly summary: string;
  /** Behind the drain gate and, when the server has a token, the bearer check (/v1, /v2). */
  readonly auth: boolean;
  /** JSON request body. */
  readonly request?: z.ZodType;
  /** The request may instead be a binary body (application/octet-stream), as described here. */
  readonly binaryRequest?: {
    readonly description: string;
    readonly headers: Readonly<Record<string, string>>;
    /** Query parameters (with a binary body only). */
    readonly query: z.ZodObject;
  };
  /** The success answer (200 unless okStatus says otherwise). */
  readonly ok: RouteResponse;
  /** The success status when it is not 200 (202 Accepted). */
  readonly okStatus?: 202;
  /** Non-200 answers that are not errors (a readiness probe's 503). */
  readonly other?: { readonly [status: number]: RouteResponse };
  /** Error codes the route itself raises; auth routes also answer unauthorized and shutting_down. */
  readonly errors: readonly ErrorCode[];
  /** An inference route: counted per model version in indrnn_requests_total (host/metrics.ts). */
  readonly perModel?: true;
}

/** What a predict or infer request can be refused for. */
const INPUT_ERRORS = [
  ...['invalid_json', 'invalid_field', 'invalid_shape', 'non_finite_value', 'empty_sequence'],
  ...['too_many_frames', 'too_many_sequences', 'model_not_found', 'payload_too_large', 'unsupported_media_type'],
  ...['not_ready', 'overloaded'],
] as const satisfies readonly ErrorCode[];

const get = <P extends string>(operationId: string, path: P, summary: string, auth: boolean) =>
  ({ method: 'get', operationId, path, summary, auth }) as const;
const json = <B extends z.ZodType>(description: string, schema: B) => ({ description, schema });

const health = (operationId: string, path: string, summary: string) =>
  ({
    ...get(operationId, path, summary, false),
    ok: json('alive', s.healthSchema),
    errors: [],
  }) as const satisfies RouteSpec;
const repository = (operationId: string, path: string, summary: string) =>
  ({
    method: 'post',
    operationId,
    path,
    summary,
    auth: true,
    request: s.v2RepositoryModelRequestSchema,
    ok: json('the model and the versions it now serves', s.v2RepositoryModelSchema),
    errors: [
      ...['invalid_json', 'invalid_field', 'invalid_request', 'forbidden', 'model_not_found', 'model_load_failed'],
      'not_ready',
    ],
  }) as const satisfies RouteSpec;
const readiness = (operationId: string, path: string, summary: string) =>
  ({
    ...get(operationId, path, summary, false),
    ok: json('ready', s.readySchema),
    other: { 503: json('not ready or shutting down', s.readySchema) },
    errors: [],
  }) as const satisfies RouteSpec;
const v2Model = (operationId: string, path: string) =>
  ({
    ...get(operationId, path, 'KServe v2 model metadata', true),
    ok: json('tensor names, types, shapes', s.v2ModelMetadataSchema),
    errors: ['model_not_found', 'not_ready'],
  }) as const satisfies RouteSpec;
const v2Ready = (operationId: string, path: string) =>
  ({
    ...get(operationId, path, 'KServe v2 model readiness', true),
    ok: json('the model is loaded', s.v2ModelReadySchema),
    errors: ['model_not_found', 'not_ready'],
  }) as const satisfies RouteSpec;
const v2Infer = (operationId: string, path: string) =>
  ({
    method: 'post',
    operationId,
    path,
    summary: 'KServe v2 inference: x [T, B, input_size] (preprocessed) and optional h0 in; logits and hT out',
    auth: true,
    request: s.v2InferRequestSchema,
    ok: json('the output tensors, FP32, row-major', s.v2InferResponseSchema),
    errors: INPUT_ERRORS,
    perModel: true,
  }) as const satisfies RouteSpec;

export const ROUTES = {
  healthz: health('checkLiveness', '/healthz', 'the process is alive'),
  readyz: readiness('checkReadiness', '/readyz', 'models are loaded and the server is not draining'),
  v2Live: {
    ...get('v2CheckLiveness', '/v2/health/live', 'KServe v2 liveness', false),
    ok: json('alive', s.v2LiveSchema),
    errors: [],
  },
  v2Ready: {
    ...get(
      'v2CheckReadiness',
      '/v2/health/ready',
      'KServe v2 readiness: models loaded, none stuck, not draining',
      false,
    ),
    ok: json('ready', s.v2ReadySchema),
    other: { 503: json('not ready', s.v2ReadySchema) },
    errors: [],
  },
  metrics: {
    ...get('getMetrics', '/metrics', 'Prometheus metrics (text exposition format)', false),
    ok: { description: 'metrics', text: true },
    errors: [],
  },
  openapi: {
    ...get('getOpenApiDocument', '/openapi.json', 'this document', false),
    ok: { description: 'OpenAPI 3.1' },
    errors: [],
  },
  models: {
    ...get('listModels', '/v1/models', 'the loaded models', true),
    ok: json('models', s.modelListSchema),
    errors: ['not_ready'],
  },
  model: {
    ...get('getModel', '/v1/models/{name}', "a model's labels, layout, input, outputs and execution provider", true),
    ok: json('the model', s.modelInfoSchema),
    errors: ['model_not_found', 'not_ready'],
  },
  predict: {
    method: 'post',
    operationId: 'predict',
    path: '/v1/models/{name}/predict',
    summary: 'predict the action of one sequence (`frames`) or several (`sequences`)',
    auth: true,
    request: s.predictRequestSchema,
    binaryRequest: {
      description:
        "one sequence's frames as float32 little-endian, row-major, shaped by X-Frames-Shape (docs/api.md); options in the query",
      headers: {
        'X-Frames-Shape':
          "T,joints,C (one body) or T,bodies,joints,C for skeleton models (C = 3: x, y, z; 2D models: 2 for x, y or 3 for x, y, score), T,inputSize for others; without it, T full frames of bodies x joints x C floats, C the model's dims (2 for 2D models, 3 otherwise)",
      },
      query: s.predictQuerySchema,
    },
    ok: json('one prediction per sequence, in order', s.predictResponseSchema),
    errors: INPUT_ERRORS,
    perModel: true,
  },
  neurons: {
    ...get(
      'getNeurons',
      '/v1/models/{name}/neurons',
      "each recurrent layer's weights u and its neurons' time constants",
      true,
    ),
    ok: json('per layer: u and time constants (steps)', neuronsSchema),
    errors: ['model_not_found', 'not_ready'],
  },
  plots: {
    ...get(
      'getPlots',
      '/v1/models/{name}/plots',
      "the model's training curves and confusion matrix (SVG files beside its file)",
      true,
    ),
    ok: json('the plots present beside the model file', modelPlotsSchema),
    errors: ['model_not_found', 'not_ready'],
  },
  page: {
    ...get('getLivePage', '/', 'the live web page, HTML (docs/ui.md; off with `indrnn serve --no-ui`)', false),
    ok: { description: 'text/html' },
    errors: ['not_found'],
  },
  pageFile: {
    ...get('getLivePageFile', '/ui/{file}', "the page's script, stylesheet and demo recording", false),
    ok: { description: 'text/javascript, text/css or application/x-ndjson' },
    errors: ['not_found'],
  },
  cameraPage: {
    ...get(
      'getCameraPage',
      '/camera',
      'the camera page: webcam -> MediaPipe Pose in the browser -> action labels (HTML)',
      false,
    ),
    ok: { description: 'text/html' },
    errors: ['not_found'],
  },
  mediapipeFile: {
    ...get(
      'getMediapipeFile',
      '/mediapipe/pose/{version}/{file}',
      "MediaPipe Pose's models and WebAssembly runtime (npm @mediapipe/pose), for the camera page; cached for good",
      false,
    ),
    ok: { description: 'JavaScript, WebAssembly or model data' },
    errors: ['not_found'],
  },
  v2Server: {
    ...get('v2GetServerMetadata', '/v2', 'KServe v2 server metadata', true),
    ok: json('server', s.v2ServerMetadataSchema),
    errors: [],
  },
  v2Model: v2Model('v2GetModelMetadata', '/v2/models/{name}'),
  v2ModelVersion: v2Model('v2GetModelVersionMetadata', '/v2/models/{name}/versions/{version}'),
  v2ModelReady: v2Ready('v2CheckModelReadiness', '/v2/models/{name}/ready'),
  v2ModelVersionReady: v2Ready('v2CheckModelVersionReadiness', '/v2/models/{name}/versions/{version}/ready'),
  v2Infer: v2Infer('v2Infer', '/v2/models/{name}/infer'),
  v2InferVersion: v2Infer('v2InferVersion', '/v2/models/{name}/versions/{version}/infer'),
  v2RepositoryIndex: {
    method: 'post',
    operationId: 'v2RepositoryIndex',
    path: '/v2/repository/index',
    summary: 'KServe v2 model repository: every model file, served (READY) or not (UNAVAILABLE, with the reason)',
    auth: true,
    request: s.v2RepositoryIndexRequestSchema,
    ok: json('the models', s.v2RepositoryIndexSchema),
    errors: ['invalid_json', 'invalid_field', 'not_ready'],
  },
  v2RepositoryLoad: repository(
    'v2LoadModel',
    '/v2/repository/models/{name}/load',
    'KServe v2 model repository: load (or reload) every version of a model from the model directory',
  ),
  v2RepositoryUnload: repository(
    'v2UnloadModel',
    '/v2/repository/models/{name}/unload',
    'KServe v2 model repository: stop serving a model (every version) until it is loaded again',
  ),
  createJob: {
    method: 'post',
    operationId: 'createTrainingJob',
    path: '/v1/jobs',
    summary:
      'train a model on recorded takes (JSON Lines user format) in the background; with `indrnn serve --training` only (docs/api.md)',
    auth: true,
    request: jobRequestSchema,
    ok: json('queued: the job id (poll GET /v1/jobs/{id} or follow its events)', jobAcceptedSchema),
    okStatus: 202,
    errors: [
      ...['invalid_json', 'invalid_field', 'too_many_frames', 'payload_too_large', 'unsupported_media_type'],
      ...['model_not_found', 'forbidden', 'too_many_jobs'],
    ],
  },
  listJobs: {
    ...get(
      'listTrainingJobs',
      '/v1/jobs',
      'the training jobs: queued, running and the latest finished, newest first',
      true,
    ),
    ok: json('jobs', jobListSchema),
    errors: ['forbidden'],
  },
  job: {
    ...get('getTrainingJob', '/v1/jobs/{id}', "a training job's state, progress, time left, metrics and model", true),
    ok: json('the job', jobSchema),
    errors: ['forbidden', 'job_not_found'],
  },
  cancelJob: {
    method: 'delete',
    operationId: 'cancelTrainingJob',
    path: '/v1/jobs/{id}',
    summary:
      'cancel a queued or running training job (its process is killed, its files removed); a finished one is left as it is',
    auth: true,
    ok: json('the job as it is now', jobSchema),
    errors: ['forbidden', 'job_not_found'],
  },
  jobEvents: {
    ...get(
      'followTrainingJob',
      '/v1/jobs/{id}/events',
      "a training job's progress as server-sent events (text/event-stream): one `job` event per change, the last when it ends",
      true,
    ),
    ok: { description: "text/event-stream; each event's data is a Job" },
    errors: ['forbidden', 'job_not_found'],
  },
} as const satisfies Record<string, RouteSpec>;

/** Longest model name and version a URL may carry (longer: 400 before any lookup). */
export const MAX_NAME_CHARS = 128;
export const MAX_VERSION_CHARS = 64;

/** '/v1/models/{name}' -> '/v1/models/:name'. */
export function expressPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ':$1');
}

/** The 200 body a route's handler sends, from its schema (z.infer). */
type OkBody<S extends RouteSpec> = S['ok'] extends { schema: infer B extends z.ZodType } ? z.output<B> : unknown;

/** A handler whose res.json() takes exactly the route's response schema. */
export type RouteHandler<S extends RouteSpec> = (
  req: Request,
  res: Response<OkBody<S>>,
  next: NextFunction,
) => void | Promise<void>;

/** What route() leaves on res.locals for the request observer (middleware/observe.ts). */
export interface RouteLocals {
  /** The route that answered (its template labels the metrics). */
  route?: RouteSpec;
  /** Its path parameters, checked for length. */
  params?: { name?: string; version?: string };
}

/** Records the route on res.locals and refuses over-long model names and versions before any lookup. */
function tagRoute(spec: RouteSpec): RequestHandler {
  return function tagRouteMiddleware(req, res, next) {
    const locals = res.locals as RouteLocals;
    locals.route = spec;
    const { name, version } = req.params as { name?: string; version?: string };
    locals.params = { name, version };
    for (const [field, value, max] of [
      ['name', name, MAX_NAME_CHARS],
      ['version', version, MAX_VERSION_CHARS],
    ] as const) {
      if (value !== undefined && value.length > max) {
        return next(
          new ApiError(
            'invalid_request',
            `the model ${field} in the path has ${value.length} characters, at most ${max}`,
            {
              field,
              limit: max,
            },
          ),
        );
      }
    }
    next();
  };
}

/**
 * Registers `handler` (after `before`, e.g. the JSON body parser) for one route, or for several that share
 * a response (a KServe route with and without /versions/{version}). Each is registered on its own
 * template, and tagged with its spec (res.locals.route) so that the metrics name it by its template.
 */
export function route<S extends RouteSpec>(
  router: IRouter,
  specs: S | readonly S[],
  ...handlers: [...before: RequestHandler[], handler: RouteHandler<S>]
): void {
  for (const spec of (Array.isArray(specs) ? specs : [specs]) as readonly S[]) {
    router[spec.method](expressPath(spec.path), tagRoute(spec), ...(handlers as RequestHandler[]));
  }
}

/** A route template of the table and the methods it answers. */
export interface TemplateMatch {
  readonly spec: RouteSpec;
  readonly methods: ReadonlySet<string>;
}

/** Finds the template of the table a request path falls under, whatever the method. */
export function templateMatcher(
  specs: readonly RouteSpec[] = Object.values(ROUTES),
): (path: string) => TemplateMatch | undefined {
  const byPath = new Map<string, { spec: RouteSpec; pattern: RegExp; methods: Set<string> }>();
  for (const spec of specs) {
    let entry = byPath.get(spec.path);
    if (!entry) {
      const pattern = new RegExp(`^${spec.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}/?$`);
      entry = { spec, pattern, methods: new Set() };
      byPath.set(spec.path, entry);
    }
    entry.methods.add(spec.method.toUpperCase());
    if (spec.method === 'get') entry.methods.add('HEAD');
  }
  const entries = [...byPath.values()];
  return (path) => entries.find((e) => e.pattern.test(path));
}

/**
 * After every route: a path of the table asked with another method is 405 method_not_allowed with an
 * Allow header, labelled by its template; other paths (and routes switched off) fall through to 404.
 */
export function methodNotAllowed(specs: readonly RouteSpec[] = Object.values(ROUTES)): RequestHandler {
  const match = templateMatcher(specs);
  return function methodNotAllowedHandler(req, res, next) {
    const found = match(req.path);
    if (!found) return next();
    const { spec, methods } = found;
    // The method is the route's own, yet nothing answered: the route is switched off (e.g. --no-ui): 404.
    if (methods.has(req.method)) return next();
    (res.locals as RouteLocals).route = spec;
    res.setHeader('Allow', [...methods, 'OPTIONS'].join(', ')); // OPTIONS: Express answers it with Allow
    next(
      new ApiError(
        'method_not_allowed',
        `${req.method} is not allowed on ${spec.path}; use ${[...methods].join(' or ')}`,
        {
          method: req.method,
          allow: [...methods],
        },
      ),
    );
  };
}
