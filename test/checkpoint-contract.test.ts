// A checkpoint keeps the model contract its export writes (task kind, labels, the input of skeleton models).
// Checkpoints of the previous release kept those facts in the task's report (camelCase) and knew the task
// kind by the task's name: they read back with the same contract, so they export what they exported then.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layoutJson } from '../src/data/layout-file.js';
import { getLayout } from '../src/data/layouts.js';
import { defaultPreprocessConfig } from '../src/data/preprocess.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import { CHECKPOINT_FORMAT, loadCheckpoint } from '../src/train/checkpoint.js';
import { exportCheckpoint, modelMetadata } from '../src/train/checkpoint-to-onnx.js';
import type { TaskSpec } from '../src/train/config.js';
import { Rng } from '../src/util/rng.js';
import { writeSafetensorsFile } from '../src/util/safetensors.js';
import { editMetadataJson, tamperSafetensorsHeader } from './helpers/tamper.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const net = (inputSize: number, numOutputs: number): NetworkConfig => ({
  arch: 'plain',
  inputSize,
  hiddenSize: 4,
  depth: 1,
  numOutputs,
  readout: 'last',
  dropout: 0,
  batchNorm: false,
  mag: 2,
  seqLen: 20,
  clipRecurrent: true,
});

/**
 * A finished two-step run as the previous release wrote it: its config, and a state whose taskInfo holds
 * the contract's facts, without `contract`. `state` is added to that state (the new shape, when it has one).
 */
function writeCheckpoint(
  name: string,
  task: TaskSpec,
  network: NetworkConfig,
  taskInfo: Record<string, unknown>,
  state: Record<string, unknown> = {},
): string {
  const n = new Network(network, new ReferenceBackend());
  n.store.initialize(new Rng(1));
  const config = {
    task,
    network,
    optimizer: { lr: 1e-3, weightDecay: 0, gradClip: 10 },
    schedule: { kind: 'constant' },
    batchSize: 4,
    steps: 2,
    evalEvery: 2,
    evalBatchSize: 4,
    seed: 1,
  };
  const record = { step: 2, lr: 1e-3, trainLoss: 1, trainMetric: 0.5, evalLoss: 1.1, evalMetric: 0.4, elapsedMs: 9 };
  const old = {
    step: 2,
    lr: 1e-3,
    elapsedMs: 9,
    history: [record],
    best: { metric: 0.4, step: 2 },
    badEvals: 0,
    window: { lossSum: 0, batches: 0, metricSum: 0, sequences: 0 },
    stopReason: 'completed all steps',
    taskInfo,
  };
  const path = join(dir, `${name}.safetensors`);
  const tensors = n.store.params.map((p) => ({ name: `model.${p.name}`, shape: p.shape, data: p.value }));
  writeSafetensorsFile(path, tensors, {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(config),
    state: JSON.stringify({ ...old, ...state }),
    adam_t: '2',
  });
  return path;
}

const skeletonLabels = [{ name: 'wave', ntuAction: 23 }, { name: 'kick', ntuAction: 24 }, { name: 'no action' }];
const preprocessing = defaultPreprocessConfig('ntu25', 2, { center: 'per-frame' });
/** What the previous release's skeleton task reported for a detection run (rate sampling, a background). */
const skeletonInfo = {
  task: 'skeleton',
  cache: 'untrimmed.cache',
  split: 'recordings:1-249',
  trainSamples: 40,
  testSamples: 8,
  background: 'no action',
  source: { synthetic: true },
  labels: skeletonLabels,
  layout: 'ntu25',
  layoutSpec: layoutJson(getLayout('ntu25')),
  bodies: 2,
  joints: 25,
  dims: 3,
  preprocessing,
  frameRate: 30,
  window: 32,
  sampling: { kind: 'rate', fps: 10, window: 32 },
};

describe('checkpoints of the previous release (no contract in the state)', () => {
  it('a skeleton detection run exports the skeleton metadata it exported then', () => {
    const spec = {
      name: 'skeleton',
      options: { cache: 'untrimmed.cache', split: 'recordings:1-249', sampling: 'rate' },
    };
    const path = writeCheckpoint('skeleton', spec, net(150, 3), skeletonInfo);
    const meta = modelMetadata(loadCheckpoint(path), path, {});
    assert.deepEqual(
      [meta.task_kind, meta.labels, meta.layout, meta.layout_spec, meta.dims, meta.bodies, meta.joints],
      [
        'classification',
        JSON.stringify(skeletonLabels),
        'ntu25',
        JSON.stringify(skeletonInfo.layoutSpec),
        '3',
        '2',
        '25',
      ],
    );
    assert.deepEqual(
      [meta.preprocessing, meta.frame_rate, meta.window, meta.sampling, meta.background],
      [JSON.stringify(preprocessing), '30', '32', JSON.stringify(skeletonInfo.sampling), 'no action'],
    );
    assert.deepEqual(JSON.parse(meta.training).data, skeletonInfo, 'the report goes on as it was');
    const model = validateModelBytes(exportCheckpoint(path), 'skeleton.onnx');
    assert.deepEqual(model.sampling, { kind: 'rate', fps: 10, window: 32 });
  });

  it('an adding run is a regression model without labels (its kind was known by the task name)', () => {
    const path = writeCheckpoint('adding', { name: 'adding', options: { seqLen: 20 } }, net(2, 1), { task: 'adding' });
    const meta = validateModelBytes(exportCheckpoint(path), 'adding.onnx');
    assert.deepEqual([meta.task_kind, meta.labels, meta.layout], ['regression', [], undefined]);
  });

  it('a classifier without label names gets "0".."K-1"', () => {
    const spec = { name: 'seq-image', options: { dataDir: '/images' } };
    const path = writeCheckpoint('seq-image', spec, net(28, 3), { task: 'seq-image', classes: 3 });
    const meta = validateModelBytes(exportCheckpoint(path), 'seq-image.onnx');
    assert.deepEqual(meta.labels, [{ name: '0' }, { name: '1' }, { name: '2' }]);
    assert.equal(meta.task_kind, 'classification');
  });
});

describe('checkpoints with a contract', () => {
  const contract = { task_kind: 'regression', labels: [] };
  const seqImage = { name: 'seq-image', options: { dataDir: '/images' } };

  it('the task kind and labels come from the stored contract, not from the task name', () => {
    const path = writeCheckpoint('kind', seqImage, net(28, 1), { task: 'seq-image' }, { contract });
    const meta = validateModelBytes(exportCheckpoint(path), 'kind.onnx');
    assert.deepEqual([meta.task_kind, meta.labels], ['regression', []]);
  });

  it('a stored contract or task options against their schemas are refused, naming the file and the field', () => {
    const good = readFileSync(writeCheckpoint('good', seqImage, net(28, 1), {}, { contract }));
    const cases: [string, (h: Record<string, any>) => void, RegExp][] = [
      [
        'sampling',
        (h) =>
          editMetadataJson(h, 'state', (s) => {
            s.contract.sampling = { kind: 'rate', fps: -10, window: 8 };
          }),
        /metadata state\.contract\.sampling\.fps: /,
      ],
      [
        'options',
        (h) =>
          editMetadataJson(h, 'config', (c) => {
            c.task.options.permute = 'yes';
          }),
        /metadata config\.task: task seq-image: --permute: /,
      ],
      [
        'network',
        (h) =>
          editMetadataJson(h, 'config', (c) => {
            c.network.readout = 'middle';
          }),
        /metadata config\.network\.readout: /,
      ],
    ];
    for (const [name, edit, why] of cases) {
      const path = join(dir, `bad-${name}.safetensors`);
      writeFileSync(path, tamperSafetensorsHeader(good, edit));
      assert.throws(() => loadCheckpoint(path), new RegExp(`bad-${name}\\.safetensors: ${why.source}`));
    }
  });
});
