// Our own API: model metadata and predictions. Frames become model steps and predictions as in
// `indrnn predict` (src/predict/sequence-prediction.ts), and sequences from concurrent requests share runs
// (src/host/batcher.ts).
import { Router } from 'express';
import { loadedRegistry, type ServerState, servedModel } from '../../host/state.js';
import { ApiError } from '../../predict/errors.js';
import { DEFAULT_DECISION_RULE, ruleProblem } from '../../predict/segments.js';
import { backgroundIndex, predictSteps, prepareSteps } from '../../predict/sequence-prediction.js';
import { jsonBody } from '../middleware/json-body.js';
import { type PredictResponse, parseBody, predictRequestSchema } from '../schemas.js';
import { ROUTES, route } from './table.js';

export interface V1Options {
  maxFrames: number;
  maxSequences: number;
  maxBodyBytes: number;
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

  route(router, ROUTES.predict, ...jsonBody({ limitBytes: options.maxBodyBytes }), async (req, res) => {
    const served = servedModel(state, String(req.params.name));
    const body = parseBody(predictRequestSchema, req.body);
    const sequences = body.sequences ?? [{ frames: body.frames ?? [] }];
    const got = sequences.length;
    const limit = options.maxSequences;
    if (got > limit) {
      throw new ApiError('too_many_sequences', `sequences has ${got} entries, the limit is ${limit}`, {
        field: 'sequences',
        limit,
        got,
      });
    }
    // Every sequence is checked before any is queued: a bad one fails the request without running others.
    const m = served.model.metadata;
    if (body.segments && backgroundIndex(m) < 0) {
      throw new ApiError(
        'invalid_field',
        `segments: model ${m.name} is not a detection model (it has no background label)`,
        'segments',
      );
    }
    const rule = Object.assign({}, DEFAULT_DECISION_RULE, body.decision);
    const problem = ruleProblem(rule);
    if (problem)
      throw new ApiError('invalid_field', `decision.${problem.field}: ${problem.message}`, `decision.${problem.field}`);
    const steps = sequences.map((s, i) =>
      prepareSteps(m, served.input, s.frames, {
        maxFrames: options.maxFrames,
        field: body.sequences ? `sequences[${i}].frames` : 'frames',
        frameRate: body.frameRate,
      }),
    );
    const submit = (x: Float32Array, T: number) => served.batcher.submit(x, T);
    const results = await Promise.all(
      steps.map((s, i) =>
        predictSteps(submit, m, s, {
          topK: body.topK,
          timeline: body.timeline,
          segments: body.segments ? rule : undefined,
          field: body.sequences ? `sequences[${i}].frames` : 'frames',
        }),
      ),
    );
    const predictions = results.map((p, i) => {
      const id = sequences[i] && 'id' in sequences[i] ? (sequences[i] as { id?: string }).id : undefined;
      return id === undefined ? p : Object.assign({ id }, p); // not a spread: see src/predict/result.ts
    });
    const response: PredictResponse = {
      model: m.name,
      version: m.version,
      provider: served.model.provider,
      predictions,
    };
    res.json(response);
  });

  return router;
}
