// Checkpoints: weights, buffers, Adam moments, the best weights so far and the whole run state, in one
// safetensors file (tensor names: `model.<param>`, `adam.m.<param>`, `adam.v.<param>`, `best.<param>`,
// `last.<param>`; metadata: format, config, state as JSON strings). Enough to resume a run exactly. A
// finished run's `model.` weights are its chosen ones (best on validation); `last.`, when present, holds the
// weights of its last step, from which a resume with more steps continues.
import { z } from 'zod';
import type { Adam } from '../nn/adam.js';
import type { Backend } from '../nn/backend.js';
import { Network, type NetworkConfig } from '../nn/network.js';
import type { ParamStore } from '../nn/params.js';
import { parseWith } from '../util/json-fields.js';
import { type NamedTensor, readSafetensorsFile, writeSafetensorsFile } from '../util/safetensors.js';
import type { TrainConfig } from './config.js';

export const CHECKPOINT_FORMAT = 'indrnn-checkpoint/1';

export interface EvalRecord {
  step: number;
  epoch?: number;
  lr: number;
  trainLoss: number;
  trainMetric: number;
  /** Loss and metric on the part named by evalPart. */
  evalLoss: number;
  evalMetric: number;
  /** The part evaluated: 'validation', or 'test' (also when absent: runs from before validation parts). */
  evalPart?: 'validation' | 'test';
  elapsedMs: number;
}

export interface TrainState {
  step: number;
  lr: number;
  elapsedMs: number;
  history: EvalRecord[];
  /** The best evaluation so far (its loss breaks ties of the metric; absent in older checkpoints). */
  best: { metric: number; step: number; loss?: number } | null;
  /** The test part, read once with the chosen weights when a run with a validation part finished. */
  test?: { loss: number; metric: number; step: number; sequences: number };
  badEvals: number;
  /** Training accumulators since the last evaluation. */
  window: { lossSum: number; batches: number; metricSum: number; sequences: number };
  stopReason: string | null;
  /** Facts about the task (data source, sizes), for reports. */
  taskInfo: Record<string, unknown>;
}

export interface Checkpoint {
  config: TrainConfig;
  state: TrainState;
  adamT: number;
  tensors: Map<string, NamedTensor>;
}

function tensorsOf(prefix: string, store: ParamStore, data: Float32Array): NamedTensor[] {
  return store.params.map((p) => ({
    name: `${prefix}${p.name}`,
    shape: p.shape,
    data: data.subarray(p.offset, p.offset + p.size),
  }));
}

export function saveCheckpoint(
  path: string,
  config: TrainConfig,
  state: TrainState,
  store: ParamStore,
  adam: Adam,
  bestWeights: Float32Array | null,
  lastWeights: Float32Array | null = null,
): void {
  const tensors = [
    ...tensorsOf('model.', store, store.data),
    ...tensorsOf('adam.m.', store, adam.m),
    ...tensorsOf('adam.v.', store, adam.v),
    ...(bestWeights ? tensorsOf('best.', store, bestWeights) : []),
    ...(lastWeights ? tensorsOf('last.', store, lastWeights) : []),
  ];
  writeSafetensorsFile(path, tensors, {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(config),
    state: JSON.stringify(state),
    adam_t: String(adam.t),
  });
}

// What readers of a checkpoint use without further checks (the network config is checked by the network).
const ConfigSchema = z.looseObject({ network: z.looseObject({}), task: z.looseObject({ name: z.string() }) });
const StateSchema = z.looseObject({
  step: z.number().int().min(0),
  history: z.array(z.looseObject({})),
  taskInfo: z.record(z.string(), z.unknown()),
});

/** The JSON of metadata entry `key`, checked against `schema`; errors name the file and the entry. */
function metadataJson<S extends z.ZodType>(meta: Record<string, string>, key: string, schema: S, path: string) {
  if (meta[key] === undefined) throw new Error(`${path}: metadata ${key} is missing`);
  let json: unknown;
  try {
    json = JSON.parse(meta[key]);
  } catch (e) {
    throw new Error(`${path}: metadata ${key} is not valid JSON (${(e as Error).message})`);
  }
  return parseWith(schema, json, `${path}: metadata ${key}`, '(value)');
}

/** Reads a checkpoint, its metadata checked (tensor shapes are checked against a network by restoreTensors). */
export function loadCheckpoint(path: string): Checkpoint {
  const file = readSafetensorsFile(path);
  const meta = file.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `${path}: not an indrnn checkpoint (format '${meta.format ?? 'missing'}', expected '${CHECKPOINT_FORMAT}')`,
    );
  }
  const adamT = Number(meta.adam_t ?? 0);
  if (!Number.isSafeInteger(adamT) || adamT < 0)
    throw new Error(`${path}: metadata adam_t: '${meta.adam_t}' is not a step count`);
  return {
    config: metadataJson(meta, 'config', ConfigSchema, path) as unknown as TrainConfig,
    state: metadataJson(meta, 'state', StateSchema, path) as unknown as TrainState,
    adamT,
    tensors: file.tensors,
  };
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Copies `<prefix><param>` tensors into `target` (laid out like store.data); every parameter must be present, in its shape. */
export function restoreTensors(
  ckpt: Checkpoint,
  prefix: string,
  store: ParamStore,
  target: Float32Array,
  source = 'checkpoint',
): void {
  for (const p of store.params) {
    const t = ckpt.tensors.get(`${prefix}${p.name}`);
    if (!t) throw new Error(`${source}: tensor ${prefix}${p.name} is missing (was it made by another network config?)`);
    if (!sameShape(t.shape, p.shape) || t.data.length !== p.size) {
      throw new Error(`${source}: tensor ${prefix}${p.name} has shape [${t.shape}], the network needs [${p.shape}]`);
    }
    target.set(t.data, p.offset);
  }
}

export function hasTensors(ckpt: Checkpoint, prefix: string): boolean {
  for (const name of ckpt.tensors.keys()) if (name.startsWith(prefix)) return true;
  return false;
}

/** Rebuilds the trained network of a checkpoint (optionally with another readout, e.g. 'all' for per-frame logits). */
export function loadNetwork(
  path: string,
  backend: Backend,
  overrides: Partial<NetworkConfig> = {},
): { net: Network; ckpt: Checkpoint } {
  const ckpt = loadCheckpoint(path);
  // The config comes from the file too: the network it describes may ask for no more values than the
  // file's model tensors hold (checked as it is built, before anything is allocated).
  let held = 0;
  for (const [name, t] of ckpt.tensors) if (name.startsWith('model.')) held += t.data.length;
  let net: Network;
  try {
    net = new Network({ ...ckpt.config.network, ...overrides }, backend, held);
  } catch (e) {
    throw new Error(`${path}: metadata config.network: ${(e as Error).message}; its model.* tensors hold ${held}`);
  }
  restoreTensors(ckpt, 'model.', net.store, net.store.data, path);
  return { net, ckpt };
}

/** Class names of a trained classifier: the task's own, else "0".."K-1". */
export function labelsOf(ckpt: Checkpoint): { name: string; ntuAction?: number }[] {
  const info = ckpt.state.taskInfo as { labels?: unknown };
  if (Array.isArray(info.labels)) {
    return info.labels.map((l) => (typeof l === 'string' ? { name: l } : (l as { name: string; ntuAction?: number })));
  }
  if (ckpt.config.task.name === 'adding') return [];
  return Array.from({ length: ckpt.config.network.numOutputs }, (_, i) => ({ name: String(i) }));
}
