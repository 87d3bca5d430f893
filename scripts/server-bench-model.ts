// The model and requests that bench:server and profile:server drive the server with: the action model
// (res-IndRNN 5 x 512, 60 classes, ntu25 joints, 2 bodies) with the metadata a skeleton export carries,
// written to a temporary models folder, and n different one-body sequences of T frames as JSON bodies,
// binary bodies (docs/api.md, application/octet-stream) and preprocessed model inputs for direct runs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { foldNetwork } from '../src/export/fold.js';
import { buildOnnxModel } from '../src/export/loop-graph.js';
import { networkMetadata } from '../src/export/network-to-onnx.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network } from '../src/nn/network.js';
import { Rng } from '../src/util/rng.js';
import { ACTION_MODEL } from './action-model.js';

export const BENCH_J = 25;

export interface BenchSetup {
  /** Folder holding action.onnx (the caller removes it). */
  dir: string;
  bytes: Uint8Array;
  T: number;
  /** Request bodies, JSON: {"frames": T x 25 x 3, "topK": 5}. */
  jsonBodies: string[];
  /** The same frames as binary bodies: T x 25 x 3 float32, little-endian. */
  binaryBodies: Buffer[];
  /** The same sequences preprocessed, x [T, 150], for direct model runs. */
  inputs: Float32Array[];
}

export function benchSetup(T: number, n: number): BenchSetup {
  const config = { ...ACTION_MODEL, dropout: 0 };
  const net = new Network(config, new ReferenceBackend());
  net.store.initialize(new Rng(1));
  const preprocess = defaultPreprocessConfig('ntu25', 2);
  const bytes = buildOnnxModel(
    foldNetwork(config, net.store),
    networkMetadata(config, {
      name: 'action',
      version: 'bench',
      contract: {
        task_kind: 'classification',
        labels: Array.from({ length: 60 }, (_, i) => ({ name: `action ${i + 1}`, ntuAction: i + 1 })),
        ...{ layout: 'ntu25', bodies: 2, joints: 25, preprocessing: preprocess, frame_rate: 30, window: T },
      },
      sourceCheckpoint: 'random',
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-bench-server-'));
  writeFileSync(join(dir, 'action.onnx'), bytes);

  const J = BENCH_J;
  const rng = new Rng(2);
  const sequences = Array.from({ length: n }, () =>
    Array.from({ length: T }, (_, t) =>
      Array.from({ length: J }, (_, j) => [
        0.3 * Math.sin(t / 3 + j) + rng.uniform(-0.05, 0.05),
        (j % 5) * 0.2 - 0.4,
        3 + rng.uniform(-0.05, 0.05),
      ]),
    ),
  );
  const jsonBodies = sequences.map((frames) => JSON.stringify({ frames, topK: 5 }));
  const binaryBodies = sequences.map((frames) => {
    const values = new Float32Array(frames.flat(2));
    return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  });
  const inputs = sequences.map((frames) => {
    const raw = new Float32Array(T * 2 * J * 3);
    frames.forEach((f, t) => {
      f.forEach((p, j) => {
        raw.set(p, (t * 2 * J + j) * 3);
      });
    });
    return preprocessSequence(preprocess, raw, T);
  });
  return { dir, bytes, T, jsonBodies, binaryBodies, inputs };
}
