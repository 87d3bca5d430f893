// Finite-difference gradient checks for every layer and for whole networks, on random shapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { architectureNames } from '../src/nn/architectures.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { batchnormBackward, batchnormForward } from '../src/nn/layers/batchnorm.js';
import { Dropout } from '../src/nn/layers/dropout.js';
import { indrnnBackward, indrnnForward } from '../src/nn/layers/indrnn.js';
import { Linear } from '../src/nn/layers/linear.js';
import { meanSquaredError, softmaxCrossEntropy } from '../src/nn/loss.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { ParamStore } from '../src/nn/params.js';
import { seq } from '../src/nn/seq.js';
import { Rng } from '../src/util/rng.js';
import { TEST_DENSE } from './helpers/dense-architecture.js';
import { checkGradient, dot, randomArray } from './helpers/gradcheck.js';

const mm = new ReferenceBackend();
const shapes = (seed: number) => {
  const rng = new Rng(seed);
  return { rng, T: 1 + rng.int(6), B: 2 + rng.int(3), I: 2 + rng.int(5), H: 2 + rng.int(6) };
};

describe('gradient checks per layer', () => {
  for (const seed of [1, 2, 3]) {
    it(`linear (seed ${seed})`, async () => {
      const { rng, T, B, I, H } = shapes(seed);
      const store = new ParamStore();
      const lin = new Linear(store, 'fc', I, H, mm);
      store.allocate();
      store.initialize(rng);
      store.get('fc.bias').value.set(randomArray(rng, H));
      const x = seq(randomArray(rng, T * B * I), T, B, I);
      const r = randomArray(rng, T * B * H);
      const loss = async () => dot(r, (await lin.forward(x, { training: false })).data);
      await lin.forward(x, { training: true });
      const dx = await lin.backward(seq(r, T, B, H));
      await checkGradient('dx', x.data, dx.data, loss);
      await checkGradient('dW', lin.weight.value, lin.weight.grad, loss);
      await checkGradient('db', lin.bias.value, lin.bias.grad, loss);
    });

    it(`indrnn recurrence (seed ${seed})`, async () => {
      const { rng, T, B, H } = shapes(seed + 10);
      const z = randomArray(rng, T * B * H);
      const u = randomArray(rng, H, 1.2);
      const h0 = rng.fillUniform(new Float32Array(B * H), 0, 1);
      const r = randomArray(rng, T * B * H);
      const loss = () => {
        const h = new Float32Array(T * B * H);
        indrnnForward(h, z, u, h0, T, B, H);
        return dot(r, h);
      };
      const h = new Float32Array(T * B * H);
      indrnnForward(h, z, u, h0, T, B, H);
      const dz = new Float32Array(T * B * H);
      const du = new Float32Array(H);
      const dh0 = new Float32Array(B * H);
      indrnnBackward(dz, du, dh0, r, h, u, h0, T, B, H);
      await checkGradient('dz', z, dz, loss);
      await checkGradient('du', u, du, loss);
      await checkGradient('dh0', h0, dh0, loss);
    });

    it(`batch norm over batch x time (seed ${seed})`, async () => {
      const { rng, T, B, H } = shapes(seed + 20);
      const N = T * B;
      const x = randomArray(rng, N * H, 2);
      const gamma = rng.fillUniform(new Float32Array(H), 0.5, 1.5);
      const beta = randomArray(rng, H);
      const r = randomArray(rng, N * H);
      const run = () => {
        const y = new Float32Array(N * H);
        const xhat = new Float32Array(N * H);
        const invStd = new Float32Array(H);
        batchnormForward(y, xhat, invStd, new Float64Array(H), new Float64Array(H), x, gamma, beta, N, H, 1e-5);
        return { y, xhat, invStd };
      };
      const { xhat, invStd } = run();
      const dx = new Float32Array(N * H);
      const dgamma = new Float32Array(H);
      const dbeta = new Float32Array(H);
      batchnormBackward(dx, dgamma, dbeta, r, xhat, invStd, gamma, N, H);
      const loss = () => dot(r, run().y);
      await checkGradient('dx', x, dx, loss, { eps: 3e-3 });
      await checkGradient('dgamma', gamma, dgamma, loss);
      await checkGradient('dbeta', beta, dbeta, loss);
    });
  }

  it('dropout shares one mask over time and back-propagates through it', async () => {
    const rng = new Rng(4);
    const [T, B, C] = [5, 3, 8];
    const drop = new Dropout(0.5);
    const x = seq(randomArray(rng, T * B * C), T, B, C);
    const r = randomArray(rng, T * B * C);
    const loss = async () => dot(r, (await drop.forward(x, { training: true, rng: new Rng(99) })).data);
    const y = await drop.forward(x, { training: true, rng: new Rng(99) });
    for (let t = 1; t < T; t++) {
      for (let i = 0; i < B * C; i++) {
        const kept0 = y.data[i] !== 0;
        const keptT = y.data[t * B * C + i] !== 0;
        if (x.data[i] !== 0 && x.data[t * B * C + i] !== 0) {
          if (kept0 !== keptT) throw new Error(`mask differs between t=0 and t=${t} at ${i}`);
        }
      }
    }
    const dx = await drop.backward(seq(r, T, B, C));
    await checkGradient('dx', x.data, dx.data, loss);
  });

  it('softmax cross-entropy and mean squared error', async () => {
    const rng = new Rng(6);
    const [N, K] = [5, 4];
    const logits = randomArray(rng, N * K, 3);
    const targets = Int32Array.from([0, 3, -1, 2, 1]); // -1: ignored row
    const ce = softmaxCrossEntropy(logits, targets, N, K);
    await checkGradient('dlogits', logits, ce.grad, () => softmaxCrossEntropy(logits, targets, N, K).loss, {
      eps: 1e-2,
    });
    const pred = randomArray(rng, N);
    const target = randomArray(rng, N);
    const mse = meanSquaredError(pred, target);
    await checkGradient('dpred', pred, mse.grad, () => meanSquaredError(pred, target).loss, { eps: 1e-2 });
  });
});

describe('gradient checks for whole networks', () => {
  const cases: [string, Partial<NetworkConfig>][] = [
    ['residual, 2 blocks, BN, dropout, last-step readout', { arch: 'residual', depth: 2, readout: 'last' }],
    ['plain, 3 layers, BN, dropout, per-step readout', { arch: 'plain', depth: 3, readout: 'all' }],
    ['dense, 1 block, BN, dropout, last-step readout', { arch: 'dense', depth: 1 }],
    ['dense, 2 blocks, BN, per-step readout', { arch: 'dense', depth: 2, readout: 'all' }],
    ['dense, 1 block, no BN, per-step readout', { arch: 'dense', depth: 1, batchNorm: false, readout: 'all' }],
    ['test-only dense block (concat, add), BN, dropout, last-step readout', { arch: TEST_DENSE, depth: 2 }],
    [
      'test-only dense block, no BN, per-step readout',
      { arch: TEST_DENSE, depth: 3, batchNorm: false, readout: 'all' },
    ],
  ];
  it('covers every registered architecture', () => {
    assert.deepEqual(new Set(cases.map(([, c]) => c.arch)), new Set(architectureNames()));
  });
  for (const [name, overrides] of cases) {
    it(name, async () => {
      const rng = new Rng(11);
      const [T, B, I, H, K] = [4, 3, 5, 6, 3];
      const config: NetworkConfig = {
        arch: 'residual',
        inputSize: I,
        hiddenSize: H,
        depth: 2,
        numOutputs: K,
        readout: 'last',
        dropout: 0.2,
        batchNorm: true,
        mag: 5,
        seqLen: T,
        clipRecurrent: false,
        ...overrides,
      };
      const net = new Network(config, mm);
      net.store.initialize(rng);
      // Larger input weights than the IndRNN init, so that gradients are not tiny.
      for (const p of net.store.params) if (p.role === 'weight') rng.fillUniform(p.value, -0.8, 0.8);
      const x = seq(randomArray(rng, T * B * I), T, B, I);
      const Tout = config.readout === 'last' ? 1 : T;
      const targets = Int32Array.from({ length: Tout * B }, (_, i) => i % K);
      const loss = async () => {
        const logits = await net.forward(x, { training: true, rng: new Rng(3) });
        return softmaxCrossEntropy(logits.data, targets, Tout * B, K).loss;
      };
      net.store.zeroGrad();
      const logits = await net.forward(x, { training: true, rng: new Rng(3) });
      const { grad } = softmaxCrossEntropy(logits.data, targets, Tout * B, K);
      await net.backward(seq(grad, Tout, B, K));
      for (const p of net.store.params) {
        if (p.role === 'buffer') continue;
        await checkGradient(p.name, p.value, p.grad, loss, { samples: 8 });
      }
    });
  }
});
