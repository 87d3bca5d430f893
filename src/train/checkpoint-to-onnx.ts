// Checkpoint -> self-describing ONNX file: the run's model contract, config and history become the model's metadata.
import { basename } from 'node:path';
import { exportNetwork, networkMetadata } from '../export/network-to-onnx.js';
import { ReferenceBackend } from '../nn/backend.js';
import { type Checkpoint, loadNetwork } from './checkpoint.js';
import { runFigures } from './selection.js';

export interface ExportOptions {
  name?: string;
  version?: string;
}

export function modelMetadata(ckpt: Checkpoint, checkpointPath: string, opts: ExportOptions): Record<string, string> {
  const { config, state } = ckpt;
  const figures = runFigures(state);
  return networkMetadata(config.network, {
    name: opts.name ?? `${config.task.name}-${config.network.arch}`,
    version: opts.version,
    contract: state.contract,
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
}

/** Builds the ONNX bytes for a checkpoint, validated against the contract. */
export function exportCheckpoint(checkpointPath: string, opts: ExportOptions = {}): Uint8Array {
  const { net, ckpt } = loadNetwork(checkpointPath, new ReferenceBackend());
  const meta = modelMetadata(ckpt, checkpointPath, opts);
  return exportNetwork(ckpt.config.network, net.store, meta, `IndRNN exported from ${basename(checkpointPath)}`);
}
