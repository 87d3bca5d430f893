// Our own API: model metadata and predictions. Frames become model steps and predictions as in
// `indrnn predict` (src/predict/sequence-prediction.ts), and sequences from concurrent requests share runs
// (src/host/batcher.ts). Predict takes JSON ({frames} or {sequences}) or one sequence's frames as binary
// float32 (application/octet-stream, src/predict/binary-frames.ts, options in the query); both become the
// same model steps.
import { type Request, Router } from 'express';
import type { ServedModel } from '../../host/registry.js';
import { loadedRegistry, type ServerState, servedModel } from '../../host/state.js';
import { type GivenShape, readBinaryFrames } from '../../predict/binary-frames.js';
import { ApiError } from '../../predict/errors.js';
import { framesObjectShape, readFramesObject } from '../../predict/frames-text.js';
import { modelInput } from '../../predict/input.js';
import { layoutConversion } from '../../predict/layout-conversion.js';
import { DEFAULT_MIN_SCORE, minScoreFor } from '../../predict/point-options.js';
import { type DecisionRule, decisionRule } from '../../predict/segments.js';
import {
  type ModelSteps,
  predictSteps,
  prepareSteps,
  requireDetectionModel,
  stepsOf,
} from '../../predict/sequence-prediction.js';
import { FramesScratch } from '../../util/scratch.js';
import { jsonText } from '../json-answer.js';
import { isBinaryBody, jsonBody, jsonBytesOf, parseJsonBytes } from '../middleware/json-body.js';
import { type PredictResponse, parsePredictQuery, parsePredictRequest } from '../schemas.js';
import { ROUTES, route } from './table.js';

export interface V1Options {
  maxFrames: number;
  maxSequences: number;
  maxBodyBytes: number;
}

/** A predict request checked and turned into model steps, before anything runs. */
interface PreparedPredict {
  steps: ModelSteps[];
  /** The request's field of each sequence ("frames", "sequences[1].frames"), for errors after the run. */
  fields: string[];
  ids: (string | undefined)[];
  topK: number;
  timeline: boolean;
  /** The decision rule when the segments of a detection model are asked for. */
  segments?: DecisionRule;
}

/** `"segments": true` (with an optional `decision`): the rule, checked; only for detection models. */
function segmentsRule(
  served: ServedModel,
  segments: boolean,
  decision: Partial<DecisionRule> | undefined,
): DecisionRule | undefined {
  if (!segments) return undefined;
  requireDetectionModel(served.model.metadata, 'segments');
  return decisionRule(decision);
}

/** A JSON body: every sequence is checked before any is queued, so a bad one fails the request alone. */
function jsonPredict(body: unknown, served: ServedModel, options: V1Options): PreparedPredict {
  const r = parsePredictRequest(body);
  const sequences = r.sequences ?? [{ frames: r.frames ?? [] }];
  const got = sequences.length;
  const limit = options.maxSequences;
  if (got > limit) {
    throw new ApiError('too_many_sequences', `sequences has ${got} entries, the limit is ${limit}`, {
      field: 'sequences',
      limit,
      got,
    });
  }
  const segments = segmentsRule(served, r.segments, r.decision);
  const m = served.model.metadata;
  const fields = sequences.map((_, i) => (r.sequences ? `sequences[${i}].frames` : 'frames'));
  const conversion = layoutConversion(served.input, r.layout);
  const minScore = minScoreFor(served.input, r.minScore);
  const steps = sequences.map((s, i) =>
    prepareSteps(m, served.input, s.frames, {
      maxFrames: options.maxFrames,
      field: fields[i],
      frameRate: r.frameRate,
      conversion,
      minScore,
    }),
  );
  const ids = sequences.map((s) => ('id' in s ? (s as { id?: string }).id : undefined));
  return { steps, fields, ids, topK: r.topK, timeline: r.timeline, segments };
}

/** The plain JSON predict body read from its bytes: {"frames": [...]} with topK, timeline, frameRate or none. */
const PLAIN_BODY = framesObjectShape(null, ['topK', 'timeline', 'frameRate']);
/** Frames read from a body's bytes: copied out before the handler's first await. */
const bodyScratch = new FramesScratch();

/**
 * A JSON body as bytes: its frames read straight from them when it is the plain form (as the binary body's
 * are, without JSON.parse's nested arrays: ~half the CPU of a JSON request); any other body is parsed and
 * checked by jsonPredict, which names what is wrong. Both give the same steps.
 */
function jsonBytesPredict(bytes: Buffer, served: ServedModel | undefined, options: V1Options): PreparedPredict | null {
  if (!served) return null;
  const spec = served.input;
  const read = readFramesObject(bytes, spec, options.maxFrames, bodyScratch, PLAIN_BODY, DEFAULT_MIN_SCORE);
  if (!read) return null;
  let r: ReturnType<typeof parsePredictRequest>;
  try {
    r = parsePredictRequest(Object.assign({ frames: [] }, read.scalars)); // the same checks of the options
  } catch {
    return null; // the general path names the field
  }
  const opts = { maxFrames: options.maxFrames, field: 'frames', frameRate: r.frameRate };
  const x = modelInput(spec, read.frames.slice(), read.T); // a copy: the scratch is the next request's
  const steps = [stepsOf(served.model.metadata, served.input, x, opts)];
  return { steps, fields: ['frames'], ids: [undefined], topK: r.topK, timeline: r.timeline };
}

const FRAMES_SHAPE = 'X-Frames-Shape';
const FRAMES_SHAPE_TEXT = /^\s*\d{1,9}\s*(,\s*\d{1,9}\s*){1,3}$/;

/** A binary body's X-Frames-Shape ("20,25,3"): 2 to 4 dimensions, checked against the model by the codec. */
function framesShape(req: Request): GivenShape | undefined {
  const header = req.get(FRAMES_SHAPE);
  if (header === undefined) return undefined;
  if (FRAMES_SHAPE_TEXT.test(header)) return { field: FRAMES_SHAPE, dims: header.split(',').map(Number) };
  const message = `${FRAMES_SHAPE} is '${header.slice(0, 40)}', expected 2 to 4 comma-separated dimensions (e.g. 20,25,3)`;
  throw new ApiError('invalid_field', message, FRAMES_SHAPE);
}

/** A binary body: one sequence's float32 frames shaped by X-Frames-Shape, options in the query. */
function binaryPredict(req: Request, served: ServedModel, options: V1Options): PreparedPredict {
  const q = parsePredictQuery(req.query);
  const segments = segmentsRule(served, q.segments, undefined);
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const conversion = layoutConversion(served.input, q.layout);
  const spec = conversion?.spec ?? served.input;
  const minScore = minScoreFor(served.input, q.minScore);
  const { frames, T } = readBinaryFrames(body, framesShape(req), spec, options.maxFrames, undefined, { minScore });
  const opts = { maxFrames: options.maxFrames, field: 'frames', frameRate: q.frameRate };
  const raw = conversion ? conversion.convert(frames, T) : frames;
  const steps = [stepsOf(served.model.metadata, served.input, modelInput(served.input, raw, T), opts)];
  return { steps, fields: ['frames'], ids: [undefined], topK: q.topK, timeline: q.timeline, segments };
}

export function v1Routes({ state, options }: { state: ServerState; options: V1Options }): Router {
  const router = Router();

  route(router, ROUTES.models, (_req, res) => {
    res.json({
      models: loadedRegistry(state)
        .list()
        .map((s) => s.info),
    });
  });

  route(router, ROUTES.model, (req, res) => {
    res.json(servedModel(state, String(req.params.name)).info);
  });

  const body = jsonBody({ limitBytes: options.maxBodyBytes, binary: true, jsonBytes: true });
  route(router, ROUTES.predict, ...body, async (req, res) => {
    const bytes = jsonBytesOf(req);
    let p: PreparedPredict | null = null;
    if (bytes) {
      // As with the JSON parser before the route: a body that is not JSON is refused before the model is looked up.
      p = jsonBytesPredict(bytes, state.registry?.get(String(req.params.name)), options);
      if (!p) req.body = parseJsonBytes(bytes);
    }
    const served = servedModel(state, String(req.params.name));
    p ??= isBinaryBody(req) ? binaryPredict(req, served, options) : jsonPredict(req.body, served, options);
    const m = served.model.metadata;
    const submit = (x: Float32Array, T: number) => served.batcher.submit(x, T);
    const predictions = await Promise.all(
      p.steps.map(async (s, i) => {
        const opts = { topK: p.topK, timeline: p.timeline, segments: p.segments, field: p.fields[i] };
        const prediction = await predictSteps(submit, m, s, opts);
        const id = p.ids[i];
        return id === undefined ? prediction : Object.assign({ id }, prediction); // not a spread: src/predict/result.ts
      }),
    );
    const response: PredictResponse = {
      model: m.name,
      version: m.version,
      provider: served.model.provider,
      predictions,
    };
    // What res.json sends, without its content-type lookup and freshness checks (~40 µs a request).
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(jsonText(response));
  });

  return router;
}
