// A network -> self-describing ONNX file: batch norms folded, the Loop graph written, the bytes validated against
// the contract (a checkpoint -> ONNX file is train/checkpoint-to-onnx.ts).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type NetworkConfig, recurrentLayerCount } from '../nn/network.js';
import type { ParamStore } from '../nn/params.js';
import {
  type EnsembleMetadata,
  EXPORTER_VERSION,
  encodeMetadata,
  MODEL_FORMAT,
  type ModelContract,
} from '../onnx/metadata.js';
import { validateModelBytes } from '../onnx/validate.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ensemble, foldNetwork } from './fold.js';
import { buildOnnxModel } from './loop-graph.js';

/** What a network's metadata needs beyond its config (see metadata.ts). */
export interface NetworkMetadataOptions {
  name: string;
  version?: string;
  contract: ModelContract;
  training?: Record<string, unknown>;
  sourceCheckpoint?: string;
  /** An ensemble's members (then `net` is the first member's and num_layers their total). */
  ensemble?: EnsembleMetadata;
}

/** The contract's metadata_props for a network: its sizes, the model contract and where it came from. */
export function networkMetadata(net: NetworkConfig, o: NetworkMetadataOptions): Record<string, string> {
  return encodeMetadata({
    'indrnn.format': MODEL_FORMAT,
    name: o.name,
    version: o.version ?? '1',
    ...o.contract,
    input_size: net.inputSize,
    hidden_size: net.hiddenSize,
    num_layers: o.ensemble ? o.ensemble.members.reduce((n, m) => n + m.num_layers, 0) : recurrentLayerCount(net),
    num_outputs: net.numOutputs,
    architecture: { ...net },
    training: o.training ?? {},
    source_checkpoint: o.sourceCheckpoint ?? 'none',
    exporter_version: EXPORTER_VERSION,
    ensemble: o.ensemble,
  });
}

/** A network's ONNX bytes: batch norms folded, the contract's graph, validated against the contract. */
export function exportNetwork(
  net: NetworkConfig,
  store: ParamStore,
  metadata: Record<string, string>,
  docString: string,
): Uint8Array {
  return validated(buildOnnxModel(foldNetwork(net, store), metadata, docString));
}

/** Several networks' ONNX bytes as one ensemble (export/fold.ts `ensemble`), validated against the contract. */
export function exportEnsemble(
  members: readonly { net: NetworkConfig; store: ParamStore }[],
  metadata: Record<string, string>,
  docString: string,
): Uint8Array {
  const folded = members.map((m) => foldNetwork(m.net, m.store));
  return validated(buildOnnxModel(ensemble(folded), metadata, docString));
}

function validated(bytes: Uint8Array): Uint8Array {
  validateModelBytes(bytes, '(exported model)');
  return bytes;
}

export function writeModelFile(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes);
}
