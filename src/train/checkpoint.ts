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
import { contractSchema } from '../onnx/metadata.js';
import { fieldPath } from '../util/json-fields.js';
import { type NamedTensor, readSafetensorsFile, writeSafetensorsFile } from '../util/safetensors.js';
import { type TrainConfig, taskSpecSchema, trainConfigSchema } from './config.js';
import { parseTaskSpec } from './tasks/index.js';

export const CHECKPOINT_FORMAT = 'indrnn-checkpoint/1';

/** A number; JSON keeps NaN and ±Infinity (a diverged run's losses) as null, read back as NaN. */
const float = z.union([z.number(), z.null().transform(() => Number.NaN)]);
const whole = z.number().int().min(0);

const evalRecordSchema = z.object({
  step: whole,
  epoch: z.number().optional(),
  lr: float,
  trainLoss: float,
  trainMetric: float,
  /** Loss and metric on the part named by evalPart. */
  evalLoss: float,
  evalMetric: float,
  /**
   * The part evaluated: 'validation', 'test' (also when absent: runs from before validation parts), or 'none'
   * when nothing is held out (split all without a validation part: the eval figures are NaN).
   */
  evalPart: z.enum(['validation', 'test', 'none']).optional(),
  elapsedMs: float,
});
export type EvalRecord = z.infer<typeof evalRecordSchema>;

const trainStateSchema = z.object({
  step: whole,
  lr: float,
  elapsedMs: float,
  history: z.array(evalRecordSchema),
  /** The best evaluation so far (its loss breaks ties of the metric; absent in older checkpoints). */
  best: z.object({ metric: float, step: whole, loss: float.optional() }).nullable(),
  /** The test part, read once with the chosen weights when a run with a validation part finished. */
  test: z.object({ loss: float, metric: float, step: whole, sequences: whole }).optional(),
  badEvals: whole,
  /** Training accumulators since the last evaluation. */
  window: z.object({ lossSum: float, batches: whole, metricSum: float, sequences: whole }),
  stopReason: z.string().nullable(),
  /** What the trained model promises (its task kind, labels, input): what an export writes. */
  contract: contractSchema,
  /** Facts about the task (data source, sizes), for reports. */
  taskInfo: z.record(z.string(), z.unknown()),
});
export type TrainState = z.infer<typeof trainStateSchema>;

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

/**
 * A task spec read through its task's options schema (tasks/index.ts): values checked, defaults filled in.
 * Runs store every option they resolved; one an older run did not store is read as that run meant it (a
 * skeleton run without bodyOrder kept the sensor's order, and one without features the joints alone: the
 * defaults then).
 */
const OLD_SKELETON_DEFAULTS = { bodyOrder: 'sensor', features: 'joints' };
const storedTaskSpec = taskSpecSchema.transform((spec, ctx) => {
  try {
    if (spec.name === 'skeleton')
      return parseTaskSpec({ name: spec.name, options: { ...OLD_SKELETON_DEFAULTS, ...spec.options } });
    return parseTaskSpec(spec);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message, input: spec });
    return z.NEVER;
  }
});
const storedConfigSchema = trainConfigSchema.extend({ task: storedTaskSpec });

/** Far above any classifier's classes: bounds the labels made for an old checkpoint's unnamed classes. */
const MAX_UNNAMED_CLASSES = 100_000;
const stateBeforeContracts = z.looseObject({
  contract: z.never().optional(),
  taskInfo: z.record(z.string(), z.unknown()),
});

/**
 * The state of a checkpoint from before the model contract, with its contract made once here: the task kind
 * from the task's name, the rest from the task's report (camelCase there; its other facts are left out).
 */
function withContract(state: unknown, config: TrainConfig): unknown {
  const old = stateBeforeContracts.safeParse(state);
  if (!old.success) return state;
  const { labels, layoutSpec, frameRate, ...facts } = old.data.taskInfo;
  const regression = config.task.name === 'adding';
  const classes = regression ? 0 : Math.min(config.network.numOutputs, MAX_UNNAMED_CLASSES);
  const unnamed = Array.from({ length: classes }, (_, i) => ({ name: String(i) }));
  const task_kind = regression ? 'regression' : 'classification';
  const contract = { ...facts, task_kind, labels: labels ?? unnamed, layout_spec: layoutSpec, frame_rate: frameRate };
  return { ...old.data, contract };
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
  /** Metadata entry `key`: JSON read through `schema`; errors name the file, the entry and the field. */
  const read = <S extends z.ZodType>(key: string, schema: S): z.output<S> => {
    if (meta[key] === undefined) throw new Error(`${path}: metadata ${key} is missing`);
    let json: unknown;
    try {
      json = JSON.parse(meta[key]);
    } catch (e) {
      throw new Error(`${path}: metadata ${key} is not valid JSON (${(e as Error).message})`);
    }
    const r = schema.safeParse(json);
    if (r.success) return r.data;
    throw new Error(`${path}: metadata ${fieldPath([key, ...r.error.issues[0].path])}: ${r.error.issues[0].message}`);
  };
  const config = read('config', storedConfigSchema);
  const stateSchema = z.preprocess((s) => withContract(s, config), trainStateSchema);
  const state = read('state', stateSchema);
  return { config, state, adamT, tensors: file.tensors };
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
