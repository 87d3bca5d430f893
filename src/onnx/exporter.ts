// Checkpoint -> self-describing ONNX file.
import { renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ReferenceBackend } from '../nn/backend.js';
import { recurrentLayerCount } from '../nn/network.js';
import { type Checkpoint, labelsOf, loadNetwork } from '../train/checkpoint.js';
import { buildOnnxModel } from './export.js';
import { foldNetwork } from './fold.js';
import { EXPORTER_VERSION, MODEL_FORMAT } from './metadata.js';
import { validateModelBytes } from './model.js';

export interface ExportOptions {
  name?: string;
  version?: string;
}

/** Skeleton facts a task may record (see the skeleton task): copied into the model's metadata. */
const SKELETON_KEYS = {
  layout: 'layout',
  bodies: 'bodies',
  joints: 'joints',
  preprocessing: 'preprocessing',
  frameRate: 'frame_rate',
  window: 'window',
  sampling: 'sampling',
} as const;

export function modelMetadata(ckpt: Checkpoint, checkpointPath: string, opts: ExportOptions): Record<string, string> {
  const { config, state } = ckpt;
  const net = config.network;
  const last = state.history.at(-1);
  const meta: Record<string, string> = {
    'indrnn.format': MODEL_FORMAT,
    name: opts.name ?? `${config.task.name}-${net.arch}`,
    version: opts.version ?? '1',
    task_kind: config.task.name === 'adding' ? 'regression' : 'classification',
    labels: JSON.stringify(labelsOf(ckpt)),
    input_size: String(net.inputSize),
    hidden_size: String(net.hiddenSize),
    num_layers: String(recurrentLayerCount(net)),
    num_outputs: String(net.numOutputs),
    architecture: JSON.stringify(net),
    training: JSON.stringify({
      task: config.task,
      data: state.taskInfo,
      steps: state.step,
      seed: config.seed,
      optimizer: config.optimizer,
      batchSize: config.batchSize,
      finalTestMetric: last?.evalMetric ?? null,
      bestTestMetric: state.best?.metric ?? null,
      wallTimeSec: state.elapsedMs / 1000,
    }),
    source_checkpoint: basename(checkpointPath),
    exporter_version: EXPORTER_VERSION,
  };
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
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}
