// The architecture registry: what its entries promise (parameter names that checkpoints and model files
// hold), and the errors of a config or an entry that breaks the rules. The registered entries' gradients
// and ONNX parity are checked with the whole-network tests (nn-gradcheck, onnx-export).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldNetwork } from '../src/export/fold.js';
import { buildOnnxModel } from '../src/export/loop-graph.js';
import { registerArchitecture } from '../src/nn/architectures.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { parseModel } from '../src/util/onnx-graph.js';

const mm = new ReferenceBackend();
const config = (o: Partial<NetworkConfig>): NetworkConfig => ({
  arch: 'plain',
  inputSize: 3,
  hiddenSize: 4,
  depth: 1,
  numOutputs: 2,
  readout: 'all',
  dropout: 0,
  batchNorm: true,
  mag: 5,
  seqLen: 10,
  clipRecurrent: false,
  ...o,
});

describe('architecture registry', () => {
  it('keeps the parameter and initializer names of existing checkpoints and model files', () => {
    const net = new Network(config({ arch: 'residual' }), mm);
    const bn = (p: string) => ['gamma', 'beta', 'running_mean', 'running_var'].map((s) => `${p}.${s}`);
    const fc = (p: string) => [`${p}.weight`, `${p}.bias`];
    assert.deepEqual(
      net.store.params.map((p) => p.name),
      [
        ...fc('fc0'),
        ...['blocks.0.rec1.u', ...bn('blocks.0.bn1'), ...fc('blocks.0.fc1')],
        ...['blocks.0.rec2.u', ...bn('blocks.0.bn2'), ...fc('blocks.0.fc2')],
        ...['final.rec.u', ...bn('final.bn'), ...fc('classifier')],
      ],
    );
    const plain = new Network(config({ depth: 2 }), mm);
    assert.deepEqual(
      plain.store.params.map((p) => p.name),
      [...fc('layers.0.fc'), 'layers.0.rec.u', ...bn('layers.0.bn')].concat([
        ...fc('layers.1.fc'),
        'layers.1.rec.u',
        ...bn('layers.1.bn'),
        ...fc('classifier'),
      ]),
    );
    const graph = parseModel(buildOnnxModel(foldNetwork(net.config, net.store), {})).graph!;
    assert.deepEqual(
      graph.initializer!.map((t) => t.name),
      ['zero', ...fc('fc0'), 'rec0.u', 'rec0.index', ...fc('blocks.0.fc1'), 'rec1.u', 'rec1.index'].concat([
        ...fc('blocks.0.fc2'),
        'rec2.u',
        'rec2.index',
        ...fc('classifier'),
        'axis0',
      ]),
    );
  });

  it('an unknown arch is refused with the known ones listed', () => {
    assert.throws(
      () => new Network(config({ arch: 'densest' }), mm),
      /network arch must be one of plain, residual, dense.*got densest/,
    );
    assert.throws(
      () => registerArchitecture('plain', { trunk: (p) => p.input }),
      /architecture plain is already registered/,
    );
  });

  it('an entry whose batch norm cannot fold, or whose state is not H wide, is refused naming the op', () => {
    registerArchitecture('test-bn-into-add', {
      trunk(p, c) {
        const x = p.linear(p.input, 'fc', c.hiddenSize);
        return p.recurrent(p.add(p.recurrent(x, 'a'), x, 'sum'), 'out');
      },
    });
    const net = new Network(config({ arch: 'test-bn-into-add' }), mm);
    assert.throws(() => foldNetwork(net.config, net.store), /sum reads a batch norm, which folds only into a Linear/);
    const noBn = new Network(config({ arch: 'test-bn-into-add', batchNorm: false }), mm);
    assert.equal(foldNetwork(noBn.config, noBn.store).ops.filter((op) => op.kind === 'add').length, 1);

    registerArchitecture('test-wide', { trunk: (p, c) => p.recurrent(p.linear(p.input, 'fc', c.hiddenSize + 1), 'r') });
    assert.throws(() => new Network(config({ arch: 'test-wide' }), mm), /r\.rec is not 4 wide: h0\/hT \[L, B, H\]/);
  });
});
