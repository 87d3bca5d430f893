// Our own API: model metadata and predictions. Frames are turned into model input with the model's own
// preprocessing (input.ts), sequences from concurrent requests share runs (batcher.ts), and the answer
// is written by the same functions as `indrnn predict` (src/predict/result.ts).
import { Router } from 'express';
import { classPrediction, regressionPrediction } from '../../predict/result.js';
import { resampleSequence, staggeredLogits } from '../../stream/rate.js';
import { ApiError } from '../errors.js';
import { readSequence } from '../input.js';
import { jsonBody } from '../middleware/json-body.js';
import { type PredictResponse, parseBody, predictRequestSchema } from '../schemas.js';
import { loadedRegistry, type ServerState, servedModel } from '../state.js';

export interface V1Options {
  maxFrames: number;
  maxSequences: number;
  maxBodyBytes: number;
}

export function v1Routes({ state, options }: { state: ServerState; options: V1Options }): Router {
  const router = Router();

  router.get('/v1/models', (_req, res) => {
    res.json({
      models: loadedRegistry(state)
        .list()
        .map((s) => s.info),
    });
  });

  router.get('/v1/models/:name', (req, res) => {
    res.json(servedModel(state, String(req.params.name)).info);
  });

  router.post('/v1/models/:name/predict', ...jsonBody({ limitBytes: options.maxBodyBytes }), async (req, res) => {
    const served = servedModel(state, String(req.params.name));
    const body = parseBody(predictRequestSchema, req.body);
    const sequences = body.sequences ?? [{ frames: body.frames ?? [] }];
    if (sequences.length > options.maxSequences) {
      throw new ApiError(
        'too_many_sequences',
        `sequences has ${sequences.length} entries, the limit is ${options.maxSequences}`,
        {
          field: 'sequences',
          limit: options.maxSequences,
          got: sequences.length,
        },
      );
    }
    // Every sequence is checked before any is queued: a bad one fails the request without running others.
    const inputs = sequences.map((s, i) =>
      readSequence(s.frames, served.input, options.maxFrames, body.sequences ? `sequences[${i}].frames` : 'frames'),
    );
    const m = served.model.metadata;
    const D = m.input_size;
    // Rate-sampled models: resample to the model's fps and read long sequences from the staggered states
    // (src/stream/rate.ts), exactly as a WebSocket stream of the same frames would.
    const rate = m.sampling?.kind === 'rate' ? m.sampling : null;
    const srcFps = body.frameRate ?? m.frame_rate ?? 30;
    const steps = inputs.map((s) => (rate ? resampleSequence(s.x, s.T, D, srcFps, rate) : { x: s.x, n: s.T }));
    const logits = await Promise.all(
      steps.map((s) =>
        staggeredLogits((x, T) => served.batcher.submit(x, T), s.x, s.n, D, m.num_outputs, rate, !body.timeline),
      ),
    );
    const opts = { topK: body.topK, timeline: body.timeline };
    const predictions = logits.map((l, i) => {
      const last = steps[i].n - 1;
      const p =
        m.task_kind === 'regression'
          ? regressionPrediction(l, 1, 0, last, opts)
          : classPrediction(l, 1, m.num_outputs, 0, last, m.labels, opts);
      const id = sequences[i] && 'id' in sequences[i] ? (sequences[i] as { id?: string }).id : undefined;
      return id === undefined ? p : { id, ...p };
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
