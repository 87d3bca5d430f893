// Test models for the server: a random network -> foldNetwork -> buildOnnxModel with the metadata an
// export would write (as test/onnx-export.test.ts and scripts/bench-infer.ts do), written to a temp
// model directory. Skeleton models carry layout ntu25, 2 bodies, 25 joints and a preprocessing config.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { type FeatureStream, featureConfig, featureSize } from '../../src/data/features.js';
import { getLayout, type LayoutName } from '../../src/data/layouts.js';
import { defaultPreprocessConfig } from '../../src/data/preprocess.js';
import { type FoldedNetwork, foldNetwork } from '../../src/export/fold.js';
import { buildOnnxModel } from '../../src/export/loop-graph.js';
import { networkMetadata } from '../../src/export/network-to-onnx.js';
import { type BatchOptions, DEFAULT_BATCH } from '../../src/host/batcher.js';
import { createMetrics } from '../../src/host/metrics.js';
import { ModelRegistry } from '../../src/host/registry.js';
import type { ServerState } from '../../src/host/state.js';
import { ReferenceBackend } from '../../src/nn/backend.js';
import { Network, type NetworkConfig } from '../../src/nn/network.js';
import type { IndrnnModel } from '../../src/onnx/model.js';
import type { RunnerKind, RunResult } from '../../src/onnx/runner.js';
import { cudaUnavailableReason } from '../../src/onnx/session.js';
import { type AppOptions, createApp } from '../../src/serve/app.js';
import { Rng } from '../../src/util/rng.js';

export interface TestModelOptions {
  /** skeleton: ntu25 joints with preprocessing; raw: T x inputSize rows; regression: raw rows, one output. */
  kind: 'skeleton' | 'raw' | 'regression';
  name?: string;
  version?: string;
  seed?: number;
  arch?: 'plain' | 'residual';
  hiddenSize?: number;
  depth?: number;
  classes?: number;
  /** raw/regression models: values per frame. */
  inputSize?: number;
  /** Extra or replaced metadata entries (to build mismatching files). */
  metadata?: Record<string, string>;
  /** skeleton models: a built-in layout other than ntu25 (then one body unless `bodies` says). */
  layout?: LayoutName;
  bodies?: number;
  /** skeleton models: input streams beside the joints (src/data/features.ts). */
  features?: readonly FeatureStream[];
}

/** CUDA is usable on this machine: onnxruntime's CUDA provider is installed and an NVIDIA GPU is present. */
export const CUDA_AVAILABLE =
  cudaUnavailableReason() === null && existsSync('/dev') && readdirSync('/dev').some((f) => /^nvidia\d+$/.test(f));

export const SKELETON_JOINTS = 25;
export const SKELETON_BODIES = 2;

export function testModelBytes(o: TestModelOptions): Uint8Array {
  return testModel(o).bytes;
}

/** The model file's bytes and the folded network they were written from (its weights, to compare with). */
export function testModel(o: TestModelOptions): { bytes: Uint8Array; folded: FoldedNetwork } {
  const skeleton = o.kind === 'skeleton';
  const layout = getLayout(o.layout ?? 'ntu25');
  const bodies = o.bodies ?? (o.layout ? 1 : SKELETON_BODIES);
  const K = o.kind === 'regression' ? 1 : (o.classes ?? 5);
  const features = featureConfig(o.features ?? ['joints'], layout.parents, layout.name);
  const preprocessing = { ...defaultPreprocessConfig(layout, bodies), ...(features ? { features } : {}) };
  const config: NetworkConfig = {
    arch: o.arch ?? 'plain',
    inputSize: skeleton ? featureSize(features, bodies * layout.joints.length * 3) : (o.inputSize ?? 6),
    hiddenSize: o.hiddenSize ?? 16,
    depth: o.depth ?? 2,
    numOutputs: K,
    readout: 'all',
    dropout: 0,
    batchNorm: true,
    mag: 5,
    seqLen: 20,
    clipRecurrent: true,
  };
  const net = new Network(config, new ReferenceBackend());
  const rng = new Rng(o.seed ?? 1);
  net.store.initialize(rng);
  // Larger weights than the training init, so that predictions differ between inputs.
  for (const p of net.store.params) if (p.role === 'weight') rng.fillUniform(p.value, -0.5, 0.5);
  const labels = Array.from({ length: K }, (_, i) =>
    skeleton ? { name: `action ${i}`, ntuAction: i + 1 } : { name: `class ${i}` },
  );
  const meta = networkMetadata(config, {
    name: o.name ?? `${o.kind}-test`,
    version: o.version,
    contract: {
      task_kind: o.kind === 'regression' ? 'regression' : 'classification',
      labels: o.kind === 'regression' ? [] : labels,
      ...(skeleton && {
        layout: layout.name,
        bodies,
        joints: layout.joints.length,
        ...(layout.dims === 2 ? { dims: 2 as const } : {}),
        preprocessing,
        frame_rate: 30,
        window: 20,
      }),
    },
    training: { task: { name: o.kind }, note: 'random weights (test model)' },
    sourceCheckpoint: 'random',
  });
  Object.assign(meta, o.metadata);
  const folded = foldNetwork(config, net.store);
  return { bytes: buildOnnxModel(folded, meta), folded };
}

/** A fresh temp directory holding the given files (name -> model options or raw bytes). */
export function modelDir(files: Record<string, TestModelOptions | Uint8Array | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-serve-'));
  for (const [file, what] of Object.entries(files)) {
    writeFileSync(
      join(dir, file),
      typeof what === 'string' || what instanceof Uint8Array ? what : testModelBytes(what),
    );
  }
  return dir;
}

/** T frames of one or more NTU-like bodies: [T][J][3] for one body, [T][B][J][3] for several. */
export function skeletonFrames(T: number, seed: number, bodies = 1): number[][][] | number[][][][] {
  const rng = new Rng(seed);
  const body = (b: number, t: number) =>
    Array.from({ length: SKELETON_JOINTS }, (_, j) => [
      0.4 * Math.sin(0.3 * t + j + b) + rng.uniform(-0.05, 0.05) + b * 0.8,
      (j % 5) * 0.2 - 0.4 + rng.uniform(-0.05, 0.05),
      3 + 0.1 * Math.cos(0.2 * t * (j + 1)) + rng.uniform(-0.05, 0.05),
    ]);
  if (bodies === 1) return Array.from({ length: T }, (_, t) => body(0, t));
  return Array.from({ length: T }, (_, t) => Array.from({ length: bodies }, (_, b) => body(b, t)));
}

/** T rows of `D` numbers. */
export function rawFrames(T: number, D: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: T }, () => Array.from({ length: D }, () => rng.uniform(-1, 1)));
}

/** An app over the models in `dir`, as src/server.ts wires it but without listening; CPU, 1 thread, quiet. */
export async function serveApp(
  dir: string,
  {
    batch,
    options,
    runner,
  }: { batch?: Partial<BatchOptions>; options?: Partial<AppOptions>; runner?: RunnerKind } = {},
) {
  const metrics = createMetrics({ defaultMetrics: false });
  const registry = await ModelRegistry.load(dir, {
    device: 'cpu',
    threads: 1,
    runner,
    batch: { ...DEFAULT_BATCH, ...batch },
    observe: (m) => metrics.observer(m),
    onEvent: (e) => metrics.registryEvent(e),
  });
  const state: ServerState = { registry, draining: false };
  metrics.track(state);
  const app = createApp({ state, metrics, logger: pino({ level: 'silent' }), options });
  return { app, registry, metrics, state };
}

/** x [T, B, D] fed `chunk` steps at a time, each run's hT passed back as the next h0 (a stream): the logits and last hT. */
export async function runInChunks(
  model: IndrnnModel,
  x: Float32Array,
  T: number,
  B: number,
  chunk: number,
): Promise<RunResult> {
  const [D, K] = [model.inputSize, model.numOutputs];
  let hT: Float32Array | undefined;
  const logits = new Float32Array(T * B * K);
  for (let t = 0; t < T; t += chunk) {
    const n = Math.min(chunk, T - t);
    const r = await model.run(x.subarray(t * B * D, (t + n) * B * D), n, B, hT);
    logits.set(r.logits, t * B * K);
    hT = r.hT;
  }
  return { logits, hT: hT! };
}
