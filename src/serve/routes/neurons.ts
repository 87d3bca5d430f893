// GET /v1/models/{name}/neurons: each IndRNN layer's recurrent weights u, read from the served ONNX file's
// initialisers (`rec{l}.u`, src/export/loop-graph.ts), and each neuron's time constant. IndRNN neurons are
// independent (h_t = relu(z_t + u h_{t-1}) elementwise), so a neuron's memory is its own: with no input a
// signal decays as |u|^n, falling to 1/e after n = -1 / ln|u| steps. Computed once per loaded model.
import { readFile } from 'node:fs/promises';
import { Router } from 'express';
import { fingerprint, type ServedModel } from '../../host/registry.js';
import { type ServerState, servedModel } from '../../host/state.js';
import { ApiError } from '../../predict/errors.js';
import { floatValues, parseModel } from '../../util/onnx-graph.js';
import type { Neurons } from '../neurons-schema.js';
import { ROUTES, route } from './table.js';

/** Steps for |u|^n to reach 1/e: -1 / ln|u|; 0 for u = 0; null when |u| >= 1 (no decay). */
export function timeConstant(u: number): number | null {
  const a = Math.abs(u);
  if (a >= 1) return null;
  if (a === 0) return 0;
  return -1 / Math.log(a);
}

/** The float32 values of initialiser `name` in an ONNX file's bytes, or null. */
function initializer(model: ReturnType<typeof parseModel>, name: string): Float32Array | null {
  const t = model.graph?.initializer?.find((i) => i.name === name);
  return t && (t.rawData?.length || t.floatData) ? floatValues(t) : null;
}

/** Reads the model's file and its recurrent weights; model_file_changed when it no longer matches the model. */
export async function modelNeurons(served: ServedModel): Promise<Neurons> {
  const m = served.model.metadata;
  // The file is read again (the weights are not kept in memory): it may have changed or gone away since
  // the model loaded, until a reload replaces the model; that is the server's state, not a bug (no 500).
  const changed = (why: string) =>
    new ApiError('model_file_changed', `model ${m.name}: its file changed on disk since it loaded (${why})`, {
      model: m.name,
    });
  // Another valid model of the same shapes written over it would pass every check below: compare the file's
  // size, time and inode with those the served model was loaded from, before and after reading.
  const same = () => fingerprint(served.file) === served.fingerprint;
  if (!same()) throw changed('it was replaced or removed');
  let model: ReturnType<typeof parseModel>;
  try {
    model = parseModel(await readFile(served.file));
  } catch (e) {
    throw changed((e as NodeJS.ErrnoException).code ?? 'it is not a readable ONNX model any more');
  }
  if (!same()) throw changed('it was replaced while being read');
  const layers = [];
  for (let l = 0; l < m.num_layers; l++) {
    const u = initializer(model, `rec${l}.u`);
    if (!u || u.length !== m.hidden_size) throw changed(`no recurrent weights rec${l}.u of ${m.hidden_size} values`);
    const values = Array.from(u);
    layers.push({ layer: l, u: values, timeConstant: values.map(timeConstant) });
  }
  return {
    model: m.name,
    version: m.version,
    stepRate: m.sampling?.kind === 'rate' ? m.sampling.fps : null,
    layers,
  };
}

export function neuronRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  const cache = new WeakMap<ServedModel, Promise<Neurons>>();
  route(router, ROUTES.neurons, async (req, res) => {
    const served = servedModel(state, String(req.params.name));
    let neurons = cache.get(served);
    if (!neurons) {
      neurons = modelNeurons(served);
      cache.set(served, neurons);
      neurons.catch(() => cache.delete(served));
    }
    res.json(await neurons);
  });
  return router;
}
