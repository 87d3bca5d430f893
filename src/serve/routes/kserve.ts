// KServe v2 / Triton HTTP/REST protocol (JSON tensors) for interoperability with their clients: the
// model's raw contract, x [T, B, D] (already preprocessed) and optional state h0 [L, B, H] in, logits
// [T, B, K] and hT [L, B, H] out. Runs are queued with the model's batches (Batcher.exclusive).
// Errors are the protocol's {"error": "<message>"} (middleware/errors.ts); only FP32 JSON tensors. The model
// repository extension lists, loads and unloads the models of the model directory (host/registry.ts).
import { type RequestHandler, Router } from 'express';
import { MODEL_NAME } from '../../host/model-name.js';
import type { ServedModel } from '../../host/registry.js';
import { loadedRegistry, type ServerState, servedModel } from '../../host/state.js';
import { ApiError, errors } from '../../predict/errors.js';
import { isFloat32Finite, numberError } from '../../predict/input.js';
import { allFinite } from '../../util/finite.js';
import { jsonBody } from '../middleware/json-body.js';
import {
  parseBody,
  V2_INPUT_NAMES,
  V2_OUTPUT_NAMES,
  type V2InferRequest,
  v2InferRequestSchema,
  v2RepositoryIndexRequestSchema,
  v2RepositoryModelRequestSchema,
} from '../schemas.js';
import { ROUTES, route } from './table.js';

export interface KserveOptions {
  maxFrames: number;
  maxSequences: number;
  maxBodyBytes: number;
  serverVersion: string;
  modelControl: 'none' | 'explicit';
}

const optionalParam = (v: string | string[] | undefined) => (v === undefined ? undefined : String(v));

/** The named model at `version` (its latest without one), or 404 model_not_found listing what there is. */
function versioned(state: ServerState, name: string, version: string | undefined): ServedModel {
  const latest = servedModel(state, name);
  if (version === undefined) return latest;
  const registry = loadedRegistry(state);
  const served = registry.get(name, version);
  if (!served) {
    const available = registry.versions(name);
    throw new ApiError(
      'model_not_found',
      `model '${name}' has no version '${version}' (served: ${available.join(', ')})`,
      {
        model: name,
        version,
        available,
      },
    );
  }
  return served;
}

/** Repository names are directory or model names: no path separators, no leading dot. */
function repositoryName(raw: unknown): string {
  const name = String(raw);
  if (!MODEL_NAME.test(name)) {
    throw new ApiError(
      'invalid_request',
      `the model name '${name.slice(0, 64)}' is not a model name (letters, digits, '_', '.', '-'; no leading '.')`,
      'name',
    );
  }
  return name;
}

/** The repository extension's bodies are optional: no body is {}; a body must be JSON. */
function optionalJsonBody(limitBytes: number): RequestHandler {
  const [requireJson, refuseOversize, parse] = jsonBody({ limitBytes });
  return function optionalJsonBodyMiddleware(req, res, next) {
    const length = req.get('content-length');
    if ((length === undefined || length === '0') && req.get('transfer-encoding') === undefined) {
      req.body = {};
      return next();
    }
    requireJson(req, res, (e?: unknown) => {
      if (e) return next(e);
      refuseOversize(req, res, (e2?: unknown) => (e2 ? next(e2) : parse(req, res, next)));
    });
  };
}

/**
 * Counts the numbers in `data` (flat, or nested at most `rank` deep), checking each is finite in float32;
 * throws naming the first bad element. The recursion is at most `rank` deep, whatever the client nests.
 */
function countValues(data: unknown[], rank: number, field: string): number {
  const at = (path: number[]) => `${field}${path.map((i) => `[${i}]`).join('')}`;
  const path: number[] = [];
  const walk = (list: unknown[], depth: number): number => {
    let n = 0;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (Array.isArray(v)) {
        path.push(i);
        if (depth >= rank) {
          throw new ApiError(
            'invalid_shape',
            `${at(path)} is nested deeper than the shape's ${rank} dimensions`,
            field,
          );
        }
        n += walk(v, depth + 1);
        path.pop();
      } else if (isFloat32Finite(v)) n++;
      else throw numberError(v, at([...path, i]));
    }
    return n;
  };
  return walk(data, 1);
}

/** Writes the numbers of `data` (checked by countValues) in row-major order from out[n]; returns the next n. */
function fillValues(data: unknown[], out: Float32Array, n: number): number {
  for (const v of data) {
    if (Array.isArray(v)) n = fillValues(v, out, n);
    else out[n++] = v as number;
  }
  return n;
}

/** `data` (flat or nested, row-major) as exactly `count` float32 values; counted before anything is allocated. */
function tensorData(data: unknown[], count: number, shape: number[], field: string): Float32Array {
  const n = countValues(data, shape.length, field);
  if (n !== count) {
    throw new ApiError('invalid_shape', `${field} has ${n} values, shape [${shape.join(', ')}] needs ${count}`, {
      field,
      expected: count,
      got: n,
    });
  }
  const out = new Float32Array(count);
  fillValues(data, out, 0);
  return out;
}

/**
 * Checks `names` (the `name` of each entry of the request's `inputs` or `outputs`) against the model's
 * tensors of that kind: each a known one, at most once; throws invalid_field naming `list[i].name`.
 */
function tensorNames<N extends string>(
  list: 'inputs' | 'outputs',
  names: readonly string[],
  known: readonly N[],
  model: string,
): N[] {
  const seen = new Set<string>();
  return names.map((name, i) => {
    const field = `${list}[${i}].name`;
    const kind = list === 'inputs' ? 'input' : 'output';
    if (!(known as readonly string[]).includes(name)) {
      throw new ApiError(
        'invalid_field',
        `${field} is '${name.slice(0, 64)}'; model '${model}' has ${list} ${known.join(' and ')}`,
        field,
      );
    }
    if (seen.has(name)) throw new ApiError('invalid_field', `${field}: ${kind} '${name}' is given twice`, field);
    seen.add(name);
    return name as N;
  });
}

function readInputs(req: V2InferRequest, served: ServedModel, opts: KserveOptions) {
  const m = served.model.metadata;
  const [L, H, D] = [m.num_layers, m.hidden_size, m.input_size];
  const names = tensorNames(
    'inputs',
    req.inputs.map((t) => t.name),
    V2_INPUT_NAMES,
    m.name,
  );
  // Each output once: the answer is never bigger than the model's logits and hT.
  const wanted = req.outputs
    ? tensorNames(
        'outputs',
        req.outputs.map((o) => o.name),
        V2_OUTPUT_NAMES,
        m.name,
      )
    : [...V2_OUTPUT_NAMES];
  let x: { data: Float32Array; T: number; B: number } | null = null;
  let h0: { data: Float32Array; B: number; field: string } | null = null;
  for (const [i, t] of req.inputs.entries()) {
    const f = `inputs[${i}]`;
    if (t.datatype !== 'FP32')
      throw new ApiError('invalid_field', `${f}.datatype is '${t.datatype}', expected FP32`, `${f}.datatype`);
    const want = t.name === 'x' ? `[T, B, ${D}]` : `[${L}, B, ${H}]`;
    const bad = (why: string) =>
      new ApiError('invalid_shape', `${f}.shape [${t.shape.join(', ')}] ${why}; ${t.name} is ${want}`, `${f}.shape`);
    if (t.shape.length !== 3) throw bad(`has rank ${t.shape.length}`);
    const [d0, B, d2] = t.shape;
    if (B < 1) throw bad('has no sequences (B = 0)');
    if (B > opts.maxSequences) {
      throw new ApiError('too_many_sequences', `${f}.shape has B = ${B} sequences, the limit is ${opts.maxSequences}`, {
        field: `${f}.shape`,
        limit: opts.maxSequences,
      });
    }
    if (names[i] === 'x') {
      if (d2 !== D) throw bad(`has ${d2} values per frame`);
      if (d0 < 1)
        throw new ApiError('empty_sequence', `${f}.shape has T = 0 frames; a sequence needs at least 1`, `${f}.shape`);
      if (d0 > opts.maxFrames) {
        throw new ApiError('too_many_frames', `${f}.shape has T = ${d0} frames, the limit is ${opts.maxFrames}`, {
          field: `${f}.shape`,
          limit: opts.maxFrames,
        });
      }
      x = { data: tensorData(t.data, d0 * B * D, t.shape, `${f}.data`), T: d0, B };
    } else {
      if (d0 !== L || d2 !== H) throw bad('does not match the model');
      h0 = { data: tensorData(t.data, L * B * H, t.shape, `${f}.data`), B, field: `${f}.shape` };
    }
  }
  if (!x) throw new ApiError('invalid_field', `inputs: the input tensor x [T, B, ${D}] is missing`, 'inputs');
  if (h0 && h0.B !== x.B)
    throw new ApiError('invalid_shape', `${h0.field} has B = ${h0.B}, but x has B = ${x.B}`, h0.field);
  return { x, h0: h0?.data, wanted };
}

export function kserveRoutes({ state, options }: { state: ServerState; options: KserveOptions }): Router {
  const router = Router();

  route(router, ROUTES.v2Server, (_req, res) => {
    res.json({ name: 'indrnn', version: options.serverVersion, extensions: ['model_repository'] });
  });

  const metadata = (served: ServedModel) => {
    const m = served.model.metadata;
    return {
      name: m.name,
      versions: loadedRegistry(state).versions(m.name),
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, -1, m.input_size] },
        { name: 'h0', datatype: 'FP32', shape: [m.num_layers, -1, m.hidden_size] },
      ],
      outputs: [
        { name: 'logits', datatype: 'FP32', shape: [-1, -1, m.num_outputs] },
        { name: 'hT', datatype: 'FP32', shape: [m.num_layers, -1, m.hidden_size] },
      ],
    };
  };
  route(router, [ROUTES.v2Model, ROUTES.v2ModelVersion], (req, res) => {
    res.json(metadata(versioned(state, String(req.params.name), optionalParam(req.params.version))));
  });
  route(router, [ROUTES.v2ModelReady, ROUTES.v2ModelVersionReady], (req, res) => {
    versioned(state, String(req.params.name), optionalParam(req.params.version));
    res.json({ name: String(req.params.name), ready: !state.draining });
  });

  route(
    router,
    [ROUTES.v2Infer, ROUTES.v2InferVersion],
    ...jsonBody({ limitBytes: options.maxBodyBytes }),
    async (req, res) => {
      const served = versioned(state, String(req.params.name), optionalParam(req.params.version));
      const body = parseBody(v2InferRequestSchema, req.body);
      const { x, h0, wanted } = readInputs(body, served, options);
      const m = served.model.metadata;
      const out = await served.batcher.exclusive((model) => model.run(x.data, x.T, x.B, h0));
      if (!allFinite(out.logits) || !allFinite(out.hT)) {
        throw new ApiError(
          'non_finite_value',
          "inputs: the model's outputs are not finite for these inputs (values too large for the model?)",
          'inputs',
        );
      }
      const shapes = { logits: [x.T, x.B, m.num_outputs], hT: [m.num_layers, x.B, m.hidden_size] };
      res.json({
        model_name: m.name,
        model_version: m.version,
        ...(body.id !== undefined ? { id: body.id } : {}),
        outputs: wanted.map((name) => ({ name, datatype: 'FP32', shape: shapes[name], data: Array.from(out[name]) })),
      });
    },
  );

  const repositoryBody = optionalJsonBody(64 * 1024);
  /** Load and unload change what every client gets: only when the operator turned model control on. */
  const controlAllowed: RequestHandler = function modelControlGate(req, _res, next) {
    if (options.modelControl === 'explicit') return next();
    const what = req.path.endsWith('/unload') ? 'unload' : 'load';
    next(
      new ApiError(
        'forbidden',
        `model ${what} is off on this server; start it with --model-control explicit (INDRNN_MODEL_CONTROL) and a --token`,
        { setting: 'model-control' },
      ),
    );
  };
  route(router, ROUTES.v2RepositoryIndex, repositoryBody, (req, res) => {
    const body = parseBody(v2RepositoryIndexRequestSchema, req.body);
    const rows = loadedRegistry(state).index();
    res.json(body.ready ? rows.filter((r) => r.state === 'READY') : rows);
  });
  route(router, ROUTES.v2RepositoryLoad, controlAllowed, repositoryBody, async (req, res) => {
    const name = repositoryName(req.params.name);
    parseBody(v2RepositoryModelRequestSchema, req.body);
    const registry = loadedRegistry(state);
    const result = await registry.loadModel(name);
    if (!result.known) throw errors.modelNotFound(name, registry.names);
    if (result.reason !== undefined) {
      const still = result.versions.length ? ` (still serving version ${result.versions.join(', ')})` : '';
      throw new ApiError('model_load_failed', `model '${name}' could not be loaded${still}: ${result.reason}`, {
        model: name,
        served: result.versions,
      });
    }
    res.json({ name, state: 'READY', versions: result.versions });
  });
  route(router, ROUTES.v2RepositoryUnload, controlAllowed, repositoryBody, async (req, res) => {
    const name = repositoryName(req.params.name);
    parseBody(v2RepositoryModelRequestSchema, req.body);
    const registry = loadedRegistry(state);
    if (!(await registry.unloadModel(name))) throw errors.modelNotFound(name, registry.names);
    res.json({ name, state: 'UNAVAILABLE', versions: [] });
  });

  return router;
}
