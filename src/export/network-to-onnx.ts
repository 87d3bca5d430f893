// A network -> self-describing ONNX file: batch norms folded, the Loop graph written, the bytes validated against
// the contract (a checkpoint -> ONNX file is train/checkpoint-to-onnx.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type NetworkConfig, recurrentLayerCount } from '../nn/network.js';
import type { ParamStore } from '../nn/params.js';
import { EXPORTER_VERSION, MODEL_FORMAT, type ModelLabel } from '../onnx/metadata.js';
import { validateModelBytes } from '../onnx/validate.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { foldNetwork } from './fold.js';
import { buildOnnxModel } from './loop-graph.js';

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

/** A network's ONNX bytes: batch norms folded, the contract's graph, validated against the contract. */
export function exportNetwork(
  net: NetworkConfig,
  store: ParamStore,
  metadata: Record<string, string>,
  docString: string,
): Uint8Array {
  const bytes = buildOnnxModel(foldNetwork(net, store), metadata, docString);
  validateModelBytes(bytes, '(exported model)');
  return bytes;
}

export function writeModelFile(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes);
}
