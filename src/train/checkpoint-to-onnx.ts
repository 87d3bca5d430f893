// Checkpoint -> self-describing ONNX file: the run's model contract, config and history become the model's
// metadata. Several checkpoints of one recipe (seeds) -> one ensemble model whose answer averages theirs.
import { basename, dirname, join } from 'node:path';
import { exportEnsemble, exportNetwork, networkMetadata } from '../export/network-to-onnx.js';
import { ReferenceBackend } from '../nn/backend.js';
import { recurrentLayerCount } from '../nn/network.js';
import type { ModelContract } from '../onnx/metadata.js';
import { canonicalJson } from '../util/same-json.js';
import { type Checkpoint, loadNetwork } from './checkpoint.js';
import { runFigures } from './selection.js';

export interface ExportOptions {
  name?: string;
  version?: string;
}

/** The run's training record: its task and data, recipe and figures on the held-out parts. */
function trainingRecord(ckpt: Checkpoint): Record<string, unknown> {
  const { config, state } = ckpt;
  const figures = runFigures(state);
  return {
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
  };
}

export function modelMetadata(ckpt: Checkpoint, checkpointPath: string, opts: ExportOptions): Record<string, string> {
  const { config, state } = ckpt;
  return networkMetadata(config.network, {
    name: opts.name ?? `${config.task.name}-${config.network.arch}`,
    version: opts.version,
    contract: state.contract,
    training: trainingRecord(ckpt),
    sourceCheckpoint: basename(checkpointPath),
  });
}

/** Builds the ONNX bytes for a checkpoint, validated against the contract. */
export function exportCheckpoint(checkpointPath: string, opts: ExportOptions = {}): Uint8Array {
  const { net, ckpt } = loadNetwork(checkpointPath, new ReferenceBackend());
  const meta = modelMetadata(ckpt, checkpointPath, opts);
  return exportNetwork(ckpt.config.network, net.store, meta, `IndRNN exported from ${basename(checkpointPath)}`);
}

/** What every member of an ensemble must share: what the server reads (the contract) and the graph's sizes. */
function servedFacts(ckpt: Checkpoint): Record<string, unknown> {
  const { inputSize, hiddenSize, numOutputs } = ckpt.config.network;
  const contract: ModelContract = ckpt.state.contract;
  return { ...contract, input_size: inputSize, hidden_size: hiddenSize, num_outputs: numOutputs };
}

/** Refuses members that differ in anything the server reads, naming the field and the two checkpoints. */
function checkMembers(members: readonly { path: string; ckpt: Checkpoint }[]): void {
  const [first, ...rest] = members;
  if (first.ckpt.state.contract.task_kind !== 'classification')
    throw new Error(
      `${first.path}: a ${first.ckpt.state.contract.task_kind} model; an ensemble averages classifiers' log-probabilities`,
    );
  const ours = servedFacts(first.ckpt);
  const given = new Set<string>();
  for (const { path } of members) {
    if (given.has(path)) throw new Error(`${path} is given twice`);
    given.add(path);
  }
  for (const m of rest) {
    const theirs = servedFacts(m.ckpt);
    for (const field of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      const [a, b] = [canonicalJson(ours[field]), canonicalJson(theirs[field])];
      if (a !== b) throw new Error(`ensemble members differ in ${field}: ${first.path} has ${a}, ${m.path} has ${b}`);
    }
  }
}

/**
 * One ONNX model of several checkpoints of one recipe (seeds): each member's graph over the same x, the
 * logits the mean of their log-softmax, h0/hT their layers stacked (docs/design.md). Members may differ in
 * architecture and depth, never in what the server reads (the model contract, input, hidden and output sizes).
 */
export function exportCheckpointEnsemble(checkpointPaths: readonly string[], opts: ExportOptions = {}): Uint8Array {
  const members = checkpointPaths.map((path) => ({ path, ...loadNetwork(path, new ReferenceBackend()) }));
  checkMembers(members);
  const first = members[0].ckpt;
  // The run folder with the file: members are usually runs/<recipe>-seed<n>/checkpoint.safetensors.
  const names = checkpointPaths.map((p) => join(basename(dirname(p)), basename(p)));
  const meta = networkMetadata(first.config.network, {
    name: opts.name ?? `${first.config.task.name}-${first.config.network.arch}-ensemble`,
    version: opts.version,
    contract: first.state.contract,
    training: {
      task: first.config.task,
      data: first.state.taskInfo,
      ensemble: `the mean of ${members.length} members' log-probabilities; members holds each member's own training and figures. The ensemble's own figure: indrnn eval --model <this file> --cache <cache> --split <split>`,
      members: members.map((m) => trainingRecord(m.ckpt)),
    },
    sourceCheckpoint: names.join(', '),
    ensemble: {
      combine: 'mean-log-softmax',
      members: members.map((m, i) => ({
        source_checkpoint: names[i],
        seed: m.ckpt.config.seed,
        num_layers: recurrentLayerCount(m.ckpt.config.network),
        architecture: { ...m.ckpt.config.network },
      })),
    },
  });
  const nets = members.map((m) => ({ net: m.ckpt.config.network, store: m.net.store }));
  return exportEnsemble(nets, meta, `IndRNN ensemble of ${names.join(', ')}`);
}
