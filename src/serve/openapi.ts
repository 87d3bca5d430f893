// The OpenAPI 3.1 document, generated from the zod schemas in schemas.ts (JSON Schema 2020-12 is
// OpenAPI 3.1's own dialect). Served at GET /openapi.json.
import { z } from 'zod';
import { ERROR_STATUS } from './errors.js';
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
  ['V2ServerMetadata', s.v2ServerMetadataSchema],
];

/** Schemas whose elements input.ts / the KServe route check by hand: published with their precise shape. */
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
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const errorResponses = (...codes: (keyof typeof ERROR_STATUS)[]) => {
  const byStatus = new Map<number, string[]>();
  for (const c of codes) byStatus.set(ERROR_STATUS[c], [...(byStatus.get(ERROR_STATUS[c]) ?? []), c]);
  return Object.fromEntries(
    [...byStatus].map(([status, cs]) => [String(status), json('Error', `error codes: ${cs.join(', ')}`)]),
  );
};
const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'model name (metadata `name`)',
};
const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
const auth = [{ bearer: [] }];
const inputErrors = [
  'invalid_json',
  'invalid_field',
  'invalid_shape',
  'non_finite_value',
  'empty_sequence',
  'too_many_frames',
  'too_many_sequences',
  'unauthorized',
  'model_not_found',
  'payload_too_large',
  'unsupported_media_type',
  'not_ready',
  'overloaded',
  'shutting_down',
] as const;

export function openApiDocument(version: string): Record<string, unknown> {
  const v2Model = {
    get: {
      summary: 'KServe v2 model metadata',
      security: auth,
      responses: {
        200: json('V2ModelMetadata', 'tensor names, types, shapes'),
        ...errorResponses('model_not_found', 'unauthorized'),
      },
    },
  };
  const v2Infer = {
    post: {
      summary: 'KServe v2 inference: x [T, B, input_size] (preprocessed) and optional h0 in; logits and hT out',
      security: auth,
      requestBody: { required: true, content: { 'application/json': { schema: ref('V2InferRequest') } } },
      responses: {
        200: json('V2InferResponse', 'the output tensors, FP32, row-major'),
        ...errorResponses(...inputErrors),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'IndRNN action recognition server',
      version,
      description:
        'Skeleton action recognition with IndRNN models exported to ONNX. Errors: {"error": {"code", "message", "details"}}, details.field names the offending field.',
    },
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
    paths: {
      '/healthz': { get: { summary: 'the process is alive', responses: { 200: json('Health', 'alive') } } },
      '/readyz': {
        get: {
          summary: 'models are loaded and the server is not draining',
          responses: { 200: json('Readiness', 'ready'), 503: json('Readiness', 'not ready or shutting down') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format)',
          responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': { get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
      '/v1/models': {
        get: {
          summary: 'the loaded models',
          security: auth,
          responses: { 200: json('ModelList', 'models'), ...errorResponses('unauthorized', 'not_ready') },
        },
      },
      '/v1/models/{name}': {
        parameters: [nameParam],
        get: {
          summary: "a model's labels, layout, input, outputs and execution provider",
          security: auth,
          responses: { 200: json('ModelInfo', 'the model'), ...errorResponses('unauthorized', 'model_not_found') },
        },
      },
      '/v1/models/{name}/predict': {
        parameters: [nameParam],
        post: {
          summary: 'predict the action of one sequence (`frames`) or several (`sequences`)',
          security: auth,
          requestBody: { required: true, content: { 'application/json': { schema: ref('PredictRequest') } } },
          responses: {
            200: json('PredictResponse', 'one prediction per sequence, in order'),
            ...errorResponses(...inputErrors),
          },
        },
      },
      '/v2': {
        get: {
          summary: 'KServe v2 server metadata',
          security: auth,
          responses: { 200: json('V2ServerMetadata', 'server') },
        },
      },
      '/v2/health/live': { get: { summary: 'KServe v2 liveness', responses: { 200: json('Health', 'alive') } } },
      '/v2/health/ready': {
        get: {
          summary: 'KServe v2 readiness',
          responses: { 200: json('Readiness', 'ready'), 503: json('Readiness', 'not ready') },
        },
      },
      '/v2/models/{name}': { parameters: [nameParam], ...v2Model },
      '/v2/models/{name}/versions/{version}': { parameters: [nameParam, versionParam], ...v2Model },
      '/v2/models/{name}/ready': {
        parameters: [nameParam],
        get: {
          summary: 'KServe v2 model readiness',
          security: auth,
          responses: { 200: { description: 'ready' }, ...errorResponses('model_not_found') },
        },
      },
      '/v2/models/{name}/infer': { parameters: [nameParam], ...v2Infer },
      '/v2/models/{name}/versions/{version}/infer': { parameters: [nameParam, versionParam], ...v2Infer },
    },
  };
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
