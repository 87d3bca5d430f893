// Checkpoint -> self-describing ONNX file.
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ReferenceBackend } from '../nn/backend.js';
import { type NetworkConfig, recurrentLayerCount } from '../nn/network.js';
import { type Checkpoint, labelsOf, loadNetwork } from '../train/checkpoint.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { buildOnnxModel } from './export.js';
import { foldNetwork } from './fold.js';
import { EXPORTER_VERSION, MODEL_FORMAT, type ModelLabel } from './metadata.js';
import { validateModelBytes } from './model.js';

export interface ExportOptions {
  name?: string;
  version?: string;
}

/** Skeleton facts a task may record (see the skeleton task): copied into the model's metadata. */
const SKELETON_KEYS = {
  layout: 'layout',
  layoutSpec: 'layout_spec',
  dims: 'dims',
  bodies: 'bodies',
  joints: 'joints',
  preprocessing: 'preprocessing',
  frameRate: 'frame_rate',
  window: 'window',
  sampling: 'sampling',
} as const;

/** What a network's metadata needs beyond its config (see metadata.ts). */
export interface NetworkMetadataOptions {
  name: string;
  version?: string;
  taskKind?: 'classification' | 'regression';
  labels: readonly ModelLabel[];
  training?: Record<string, unknown>;
  sourceCheckpoint?: string;
}

/** The contract's metadata_props for a network (skeleton facts are added by the caller when it has them). */
export function networkMetadata(net: NetworkConfig, o: NetworkMetadataOptions): Record<string, string> {
  return {
    'indrnn.format': MODEL_FORMAT,
    name: o.name,
    version: o.version ?? '1',
    task_kind: o.taskKind ?? 'classification',
    labels: JSON.stringify(o.labels),
    input_size: String(net.inputSize),
    hidden_size: String(net.hiddenSize),
    num_layers: String(recurrentLayerCount(net)),
    num_outputs: String(net.numOutputs),
    architecture: JSON.stringify(net),
    training: JSON.stringify(o.training ?? {}),
    source_checkpoint: o.sourceCheckpoint ?? 'none',
    exporter_version: EXPORTER_VERSION,
  };
}

export function modelMetadata(ckpt: Checkpoint, checkpointPath: string, opts: ExportOptions): Record<string, string> {
  const { config, state } = ckpt;
  const net = config.network;
  const last = state.history.at(-1);
  const meta = networkMetadata(net, {
    name: opts.name ?? `${config.task.name}-${net.arch}`,
    version: opts.version,
    taskKind: config.task.name === 'adding' ? 'regression' : 'classification',
    labels: labelsOf(ckpt),
    training: {
      task: config.task,
      data: state.taskInfo,
      steps: state.step,
      seed: config.seed,
      optimizer: config.optimizer,
      batchSize: config.batchSize,
      finalTestMetric: last?.evalMetric ?? null,
      bestTestMetric: state.best?.metric ?? null,
      wallTimeSec: state.elapsedMs / 1000,
    },
    sourceCheckpoint: basename(checkpointPath),
  });
  const info = state.taskInfo as Record<string, unknown>;
  for (const [from, to] of Object.entries(SKELETON_KEYS)) {
    const v = info[from];
    if (v !== undefined) meta[to] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return meta;
}

/** Builds the ONNX bytes for a checkpoint, validated against the contract. */
export function exportCheckpoint(checkpointPath: string, opts: ExportOptions = {}): Uint8Array {
  const { net, ckpt } = loadNetwork(checkpointPath, new ReferenceBackend());
  const folded = foldNetwork(ckpt.config.network, net.store);
  const bytes = buildOnnxModel(
    folded,
    modelMetadata(ckpt, checkpointPath, opts),
    `IndRNN exported from ${basename(checkpointPath)}`,
  );
  validateModelBytes(bytes, '(exported model)');
  return bytes;
}

export function writeModelFile(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes);
}
