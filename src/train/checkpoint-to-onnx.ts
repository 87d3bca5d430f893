// Checkpoint -> self-describing ONNX file: the run's config and history become the model's metadata.
import { basename } from 'node:path';
import { exportNetwork, networkMetadata } from '../export/network-to-onnx.js';
import { ReferenceBackend } from '../nn/backend.js';
import { type Checkpoint, labelsOf, loadNetwork } from './checkpoint.js';
import { runFigures } from './selection.js';

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
  background: 'background',
} as const;

export function modelMetadata(ckpt: Checkpoint, checkpointPath: string, opts: ExportOptions): Record<string, string> {
  const { config, state } = ckpt;
  const net = config.network;
  const figures = runFigures(state);
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
      // The model's weights on the test part (with a validation part: the chosen weights, read once at the end).
      finalTestMetric: figures.test?.metric ?? null,
      bestTestMetric: figures.bestTest,
      selection: figures.selection,
      ...(figures.validation
        ? { validationMetric: figures.validation.bestMetric, chosenStep: figures.validation.bestStep }
        : {}),
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
  const meta = modelMetadata(ckpt, checkpointPath, opts);
  return exportNetwork(ckpt.config.network, net.store, meta, `IndRNN exported from ${basename(checkpointPath)}`);
}
