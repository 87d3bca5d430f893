// The messages between a WorkerRunner (src/onnx/worker-runner.ts) and its session worker
// (src/onnx/session-worker.ts). Run buffers travel as transferred ArrayBuffers (onnxruntime-node does not
// accept SharedArrayBuffer views): the runner owns them between runs, sends them with a run and gets the
// same buffers back with its answer, so nothing is allocated per run once they are large enough.

import type { RunShape } from './runner.js';
import type { Provider, ProviderChoice } from './session.js';

export interface WorkerInit {
  bytes: Uint8Array;
  path: string;
  provider: ProviderChoice;
  threads: number;
}

/** x, h0, logits, hT: capacity in float32 values >= what the shape needs. */
export interface RunBuffers {
  x: ArrayBuffer;
  h0: ArrayBuffer;
  logits: ArrayBuffer;
  hT: ArrayBuffer;
}

export type ToWorker = { kind: 'run'; shape: RunShape; buffers: RunBuffers } | { kind: 'release' };

export type FromWorker =
  | { kind: 'ready'; provider: Provider; fallbacks: string[] }
  | { kind: 'failed'; message: string }
  | { kind: 'ran'; buffers: RunBuffers; error?: string }
  | { kind: 'released' };
