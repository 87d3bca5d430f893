// The OpenAPI 3.1 document, generated from the zod schemas in schemas.ts (JSON Schema 2020-12 is
// OpenAPI 3.1's own dialect), and the paths from the route table (routes/table.ts). Served at GET /openapi.json.
import { z } from 'zod';
import type { ErrorCode } from '../predict/errors.js';
import { httpStatus } from './http-errors.js';
import { jobAcceptedSchema, jobListSchema, jobRequestSchema, jobSchema } from './jobs-schema.js';
import { neuronsSchema } from './neurons-schema.js';
import { modelPlotsSchema } from './plots-schema.js';
import { ROUTES, type RouteResponse, type RouteSpec } from './routes/table.js';
import * as s from './schemas.js';

const COMPONENTS: [string, z.ZodType][] = [
  ['Frames', s.framesSchema],
  ['PredictRequest', s.predictRequestSchema],
  ['PredictResponse', s.predictResponseSchema],
  ['ClassPrediction', s.classPredictionSchema],
  ['RegressionPrediction', s.regressionPredictionSchema],
  ['ModelInfo', s.modelInfoSchema],
  ['ModelList', s.modelListSchema],
  ['Error', s.errorBodySchema],
  ['Health', s.healthSchema],
  ['Readiness', s.readySchema],
  ['TensorData', s.tensorDataSchema],
  ['V2InferRequest', s.v2InferRequestSchema],
  ['V2InferResponse', s.v2InferResponseSchema],
  ['V2ModelMetadata', s.v2ModelMetadataSchema],
  ['V2ModelReady', s.v2ModelReadySchema],
  ['V2ServerMetadata', s.v2ServerMetadataSchema],
  ['Neurons', neuronsSchema],
  ['ModelPlots', modelPlotsSchema],
  ['V2Live', s.v2LiveSchema],
  ['V2Ready', s.v2ReadySchema],
  ['V2Error', s.v2ErrorSchema],
  ['V2RepositoryIndexRequest', s.v2RepositoryIndexRequestSchema],
  ['V2RepositoryIndex', s.v2RepositoryIndexSchema],
  ['V2RepositoryModelRequest', s.v2RepositoryModelRequestSchema],
  ['V2RepositoryModel', s.v2RepositoryModelSchema],
  ['JobRequest', jobRequestSchema],
  ['Job', jobSchema],
  ['JobAccepted', jobAcceptedSchema],
  ['JobList', jobListSchema],
];

/** Schemas whose elements predict/input.ts / the KServe route check by hand: published with their precise shape. */
const DOCUMENTED_AS = new Map<z.ZodType, z.ZodType>([
  [s.framesSchema, s.framesDoc],
  [s.tensorDataSchema, s.tensorDataDoc],
]);

function componentSchemas(io: 'input' | 'output'): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of COMPONENTS) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
    override: (ctx) => {
      const doc = DOCUMENTED_AS.get(ctx.zodSchema as unknown as z.ZodType);
      if (!doc) return;
      for (const k of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[k];
      const { $schema: _, ...json } = z.toJSONSchema(doc) as Record<string, unknown>;
      Object.assign(ctx.jsonSchema, json);
    },
  });
  const schemas = out.schemas as Record<string, Record<string, unknown>>;
  for (const v of Object.values(schemas)) delete v.$schema;
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const COMPONENT_IDS = new Map<z.ZodType, string>(COMPONENTS.map(([id, schema]) => [schema, id]));
function schemaRef(schema: z.ZodType): { $ref: string } {
  const id = COMPONENT_IDS.get(schema);
  if (!id) throw new Error('a route schema is not among the OpenAPI components (openapi.ts COMPONENTS)');
  return ref(id);
}

function response({ description, schema, text }: RouteResponse): Record<string, unknown> {
  if (text) return { description, content: { 'text/plain': { schema: { type: 'string' } } } };
  return schema ? { description, content: { 'application/json': { schema: schemaRef(schema) } } } : { description };
}

/** One response per status, naming the codes that share it; KServe routes have the protocol's error body. */
function errorResponses(codes: readonly ErrorCode[], kserve: boolean): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) {
    const status = httpStatus(c);
    byStatus.set(status, [...(byStatus.get(status) ?? []), c]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, cs]) => [
      String(status),
      response({
        description: `error codes${kserve ? ' (X-Error-Code header)' : ''}: ${cs.join(', ')}`,
        schema: kserve ? s.v2ErrorSchema : s.errorBodySchema,
      }),
    ]),
  );
}

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  name: 'model name (metadata `name`)',
  version: 'model version (metadata `version`)',
  id: 'training job id (from POST /v1/jobs)',
};

/** The JSON body, and the binary one where the route takes it. */
function requestContent(spec: RouteSpec): Record<string, unknown> {
  const content: Record<string, unknown> = { 'application/json': { schema: schemaRef(spec.request as z.ZodType) } };
  if (spec.binaryRequest) {
    const { description } = spec.binaryRequest;
    content['application/octet-stream'] = { schema: { type: 'string', format: 'binary', description } };
  }
  return content;
}

/** A binary body's header and query parameters. */
function binaryParameters(b: NonNullable<RouteSpec['binaryRequest']>): Record<string, unknown>[] {
  const headers = Object.entries(b.headers).map(([name, description]) => ({
    name,
    in: 'header',
    required: false,
    schema: { type: 'string' },
    description: `binary bodies: ${description}`,
  }));
  const query = Object.entries(b.query.shape).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: `binary bodies only: ${(schema as z.ZodType).meta()?.description ?? name}`,
  }));
  return [...headers, ...query];
}

/** Any route's, from Node's HTTP layer before the app sees the request (--headers-timeout-ms, --request-timeout-ms). */
const SLOW_REQUEST = {
  description:
    'the headers (--headers-timeout-ms) or the whole request (--request-timeout-ms) did not arrive in time; the connection is closed',
};

function operation(spec: RouteSpec): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [...spec.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: PARAMETER_DESCRIPTIONS[name],
  }));
  if (spec.binaryRequest) parameters.push(...binaryParameters(spec.binaryRequest));
  const errors = spec.auth ? [...spec.errors, 'unauthorized' as const, 'shutting_down' as const] : spec.errors;
  const kserve = spec.path === '/v2' || spec.path.startsWith('/v2/');
  const other = Object.entries(spec.other ?? {}).map(([status, r]) => [status, response(r)]);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(parameters.length ? { parameters } : {}),
    // Open routes say so (an empty list): no token, whatever the server's --token.
    security: spec.auth ? [{ bearer: [] }] : [],
    ...(spec.request ? { requestBody: { required: true, content: requestContent(spec) } } : {}),
    responses: {
      [spec.okStatus ?? 200]: response(spec.ok),
      ...errorResponses(errors, kserve),
      ...Object.fromEntries(other),
      408: SLOW_REQUEST,
    },
  };
}

/** The route table as OpenAPI paths: {template: {method: operation}}. */
function paths(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const spec of Object.values(ROUTES) as RouteSpec[])
    out[spec.path] = { ...out[spec.path], [spec.method]: operation(spec) };
  return out;
}

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'IndRNN action recognition server',
      version,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Skeleton action recognition with IndRNN models exported to ONNX. Errors: {"error": {"code", "message", "details"}}, details.field names the offending field; under /v2 (KServe v2 protocol) {"error": "<message>"}. Every error carries its code in the X-Error-Code header. A known path asked with another method is 405 with an Allow header.',
    },
    // Relative: the server that serves this document (GET /openapi.json), wherever it listens.
    servers: [{ url: '/', description: 'the server this document came from (`indrnn serve`: port 8080 by default)' }],
    components: {
      schemas: {
        ...componentSchemas('input'),
        ...pick(componentSchemas('output'), [
          'PredictResponse',
          'ClassPrediction',
          'RegressionPrediction',
          'ModelInfo',
          'ModelList',
          'Error',
          'V2InferResponse',
        ]),
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'only when the server runs with --token / INDRNN_TOKEN',
        },
      },
    },
    paths: paths(),
  };
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
