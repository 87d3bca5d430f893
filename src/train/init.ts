// Transfer learning (`indrnn train --init FILE`): a run starts from the trunk of a trained network, read from
// a trainer checkpoint or from an exported .onnx model, with a classifier of its own for its own classes.
// The source must take the same input (layout, joints, bodies, dims, preprocessing) and have the same
// network shape (architecture, hidden size, depth); anything else is refused, naming what differs.
// An exported model has its batch norms folded into the Linears after them (export/fold.ts): its Linears
// come back as they are and each batch norm starts as the identity, at the statistics of the new data
// (Trainer: calibrateInitBatchNorm), so the first forward equals the model's.
import { readFileSync, statSync } from 'node:fs';
import { describeNetwork, type NetworkConfig, validateNetworkConfig } from '../nn/architectures.js';
import { BN_EPS } from '../nn/layers/batchnorm.js';
import type { ParamStore } from '../nn/params.js';
import type { ModelContract } from '../onnx/metadata.js';
import { checkModelStats, DEFAULT_MAX_MODEL_BYTES } from '../onnx/model-file.js';
import { validateModelBytes } from '../onnx/validate.js';
import { floatValues, parseModel } from '../util/onnx-graph.js';
import { sameJson } from '../util/same-json.js';
import { loadCheckpoint } from './checkpoint.js';

/** The trained network a run starts from. */
export interface InitSource {
  path: string;
  kind: 'checkpoint' | 'onnx';
  network: NetworkConfig;
  contract: ModelContract;
  /** Values by parameter name (an exported model has no batch-norm tensors: they are folded). */
  tensors: Map<string, Float32Array>;
}

const CLASSIFIER = 'classifier.';

/** Reads a checkpoint (.safetensors) or an exported model (.onnx, by its magic-less protobuf: by the extension). */
export function readInitSource(path: string): InitSource {
  return path.toLowerCase().endsWith('.onnx') ? readOnnxSource(path) : readCheckpointSource(path);
}

function readCheckpointSource(path: string): InitSource {
  const ckpt = loadCheckpoint(path);
  const tensors = new Map<string, Float32Array>();
  for (const [name, t] of ckpt.tensors) if (name.startsWith('model.')) tensors.set(name.slice(6), t.data);
  const { frozenLayers: _, ...network } = ckpt.config.network;
  return { path, kind: 'checkpoint', network, contract: ckpt.state.contract, tensors };
}

function readOnnxSource(path: string): InitSource {
  checkModelStats(statSync(path), path, DEFAULT_MAX_MODEL_BYTES);
  const bytes = readFileSync(path);
  const meta = validateModelBytes(bytes, path);
  if (meta.ensemble)
    throw new Error(
      `${path}: an ensemble of ${meta.ensemble.members.length} models (metadata ensemble); --init takes one model: give a member's checkpoint`,
    );
  const network = meta.architecture as unknown as NetworkConfig;
  try {
    validateNetworkConfig(network);
  } catch (e) {
    throw new Error(`${path}: metadata architecture: ${(e as Error).message}`);
  }
  delete network.frozenLayers;
  const initializers = new Map((parseModel(bytes).graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const tensors = new Map<string, Float32Array>();
  const take = (onnxName: string, param: string) => {
    const t = initializers.get(onnxName);
    if (!t) throw new Error(`${path}: no initialiser ${onnxName} (not exported by indrnn export?)`);
    tensors.set(param, floatValues(t));
  };
  for (const op of describeNetwork(network).ops) {
    if (op.kind === 'linear') for (const k of ['weight', 'bias']) take(`${op.name}.${k}`, `${op.name}.${k}`);
    else if (op.kind === 'recurrent') take(`rec${op.state}.u`, `${op.rec}.u`);
  }
  const { task_kind, labels, layout, layout_spec, dims, bodies, joints, preprocessing } = meta;
  const { frame_rate, window, sampling, background } = meta;
  const contract: ModelContract = { task_kind, labels, layout, layout_spec, dims, bodies, joints, preprocessing };
  Object.assign(contract, { frame_rate, window, sampling, background });
  return { path, kind: 'onnx', network, contract, tensors };
}

/** What a contract says of its input, with absent defaults written out (no dims: 3D, as in models before 2D; no joints: the layout's). */
function inputPromise(c: ModelContract) {
  const p = c.preprocessing;
  return {
    layout: c.layout,
    joints: c.joints,
    bodies: c.bodies,
    dims: c.dims ?? 3,
    // Fields older models leave out: dims (3D) and joints (the layout's, as the contract says).
    preprocessing: p && Object.assign({ dims: 3, joints: c.joints }, p),
  };
}

/**
 * Refuses a source whose input differs from the task's: the first of layout, joints, bodies, dims and
 * preprocessing that differs is named, then the input width.
 */
export function checkInitInput(source: InitSource, contract: ModelContract, inputSize: number): void {
  const fields = ['layout', 'joints', 'bodies', 'dims', 'preprocessing'] as const;
  const [a, b] = [inputPromise(source.contract), inputPromise(contract)];
  for (const f of fields) {
    const [theirs, ours] = [a[f], b[f]];
    if (!sameJson(theirs, ours))
      throw new Error(
        `--init ${source.path}: ${f} differs: the model's is ${JSON.stringify(theirs ?? null)}, the data's ${JSON.stringify(ours ?? null)}`,
      );
  }
  if (source.network.inputSize !== inputSize)
    throw new Error(
      `--init ${source.path}: input size differs: the model takes ${source.network.inputSize} values per frame, the data has ${inputSize}`,
    );
}

/** The network settings a run started from `source` keeps; a flag that asks for another is refused, naming it. */
export function inheritedNetwork(
  source: InitSource,
  asked: { arch?: string; hidden?: number; depth?: number; batchNorm?: boolean },
): Pick<NetworkConfig, 'arch' | 'hiddenSize' | 'depth' | 'batchNorm' | 'mag'> {
  const n = source.network;
  const checks = [
    ['--arch', 'architecture', asked.arch, n.arch],
    ['--hidden', 'hidden size', asked.hidden, n.hiddenSize],
    ['--depth', 'depth', asked.depth, n.depth],
    ['--batch-norm', 'batch norm', asked.batchNorm, n.batchNorm],
  ] as const;
  for (const [flag, what, want, has] of checks) {
    if (want !== undefined && want !== has)
      throw new Error(`--init ${source.path}: ${what} differs: the model's is ${has}, ${flag} asks for ${want}`);
  }
  return { arch: n.arch, hiddenSize: n.hiddenSize, depth: n.depth, batchNorm: n.batchNorm, mag: n.mag };
}

export interface InitReport {
  /** Tensors copied from the source (the classifier's kept columns not counted). */
  loaded: number;
  /** New classes whose classifier column came from the source's class of the same name. */
  keptClasses: string[];
  /** Batch norms that start as the identity (an exported model's): to be set from the data. */
  batchNormFromData: boolean;
}

/**
 * Copies the source's trunk into `store` (already initialised: the classifier keeps its fresh values) and the
 * classifier's column and bias of every class whose name the source has too (`labels`: the run's classes).
 */
export function applyInit(source: InitSource, store: ParamStore, labels: readonly string[]): InitReport {
  let loaded = 0;
  let batchNormFromData = false;
  for (const p of store.params) {
    if (p.name.startsWith(CLASSIFIER)) continue;
    const t = source.tensors.get(p.name);
    if (t) {
      if (t.length !== p.size)
        throw new Error(`--init ${source.path}: ${p.name} has ${t.length} values, the network needs ${p.size}`);
      p.value.set(t);
      loaded++;
    } else if (
      source.kind === 'onnx' &&
      p.role !== 'weight' &&
      /\.bn\d*\.(gamma|beta|running_mean|running_var)$/.test(p.name)
    ) {
      // Folded away: the identity until calibrateInitBatchNorm sets it at the data's statistics.
      p.value.fill(p.name.endsWith('.gamma') ? 1 : p.name.endsWith('.running_var') ? 1 - BN_EPS : 0);
      batchNormFromData = true;
    } else throw new Error(`--init ${source.path}: it has no ${p.name}`);
  }
  const keptClasses: string[] = [];
  const weight = store.get(`${CLASSIFIER}weight`);
  const bias = store.get(`${CLASSIFIER}bias`);
  const [H, K] = weight.shape;
  const oldWeight = source.tensors.get(`${CLASSIFIER}weight`);
  const oldBias = source.tensors.get(`${CLASSIFIER}bias`);
  const oldNames = source.contract.labels.map((l) => l.name);
  const oldK = oldNames.length;
  if (oldWeight && oldBias && oldWeight.length === H * oldK && oldBias.length === oldK) {
    labels.forEach((name, j) => {
      const i = oldNames.indexOf(name);
      if (i < 0 || j >= K) return;
      for (let r = 0; r < H; r++) weight.value[r * K + j] = oldWeight[r * oldK + i];
      bias.value[j] = oldBias[i];
      keptClasses.push(name);
    });
  }
  return { loaded, keptClasses, batchNormFromData };
}
