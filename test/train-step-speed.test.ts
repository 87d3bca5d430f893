// The training step's fast paths compute what the plain code computes: the same random stream for
// dropout masks drawn in one loop, and (below) the same optimiser bits when Adam is split over threads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Adam, defaultAdamOptions } from '../src/nn/adam.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Linear } from '../src/nn/layers/linear.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { ParamStore } from '../src/nn/params.js';
import { seq } from '../src/nn/seq.js';
import { shardRows } from '../src/nn/shard.js';
import { updateShardRange } from '../src/train/shard-update.js';
import { Rng } from '../src/util/rng.js';

describe('dropout masks drawn in one loop', () => {
  it('fillMask gives the values and leaves the state of one next() call per value', () => {
    const fast = new Rng(9, 4);
    const slow = new Rng(9, 4);
    slow.next(); // streams at any position, not only fresh ones
    fast.next();
    const p = 0.3;
    const mask = fast.fillMask(new Float32Array(1001), p, 1 / (1 - p));
    let dropped = 0;
    for (let i = 0; i < mask.length; i++) {
      const expected = slow.next() < p ? 0 : Math.fround(1 / (1 - p));
      assert.equal(mask[i], expected, `value ${i}`);
      if (mask[i] === 0) dropped++;
    }
    assert.ok(dropped > 200 && dropped < 400, `${dropped} of 1001 dropped at p = 0.3`);
    assert.deepEqual(fast.getState(), slow.getState());
    assert.equal(fast.next(), slow.next());
  });
});

describe('gradients written instead of added after zeroGrad', () => {
  it('a linear layer writes its gradient once after zeroGrad and adds it on further backward passes', async () => {
    const store = new ParamStore();
    const mm = new ReferenceBackend();
    const layer = new Linear(store, 'fc', 3, 4, mm);
    store.allocate().initialize(new Rng(2));
    const rng = new Rng(3);
    const x = seq(rng.fillNormal(new Float32Array(2 * 5 * 3), 0, 1), 2, 5, 3);
    const dy = seq(rng.fillNormal(new Float32Array(2 * 5 * 4), 0, 1), 2, 5, 4);
    const pass = async () => {
      await layer.forward(x, { training: true });
      await layer.backward(dy);
    };
    store.grad.fill(7); // stale values that zeroGrad must clear whichever way the layer then writes
    store.zeroGrad();
    await pass();
    const once = store.grad.slice();
    assert.ok(once.some((g) => g !== 0));
    await pass(); // no zeroGrad in between: accumulates
    for (let i = 0; i < once.length; i++) assert.equal(store.grad[i], Math.fround(once[i] + once[i]), `value ${i}`);
    store.zeroGrad();
    await pass();
    assert.deepEqual(store.grad, once);
  });
});

describe('the optimiser step split by parameter range', () => {
  const config: NetworkConfig = {
    arch: 'residual',
    inputSize: 6,
    hiddenSize: 8,
    depth: 1,
    numOutputs: 3,
    readout: 'last',
    dropout: 0,
    batchNorm: true,
    mag: 2,
    seqLen: 5,
    clipRecurrent: true,
  };
  /** A store with random weights and BN statistics; grads[s] random for each of 3 shards (large: clamped). */
  function setup(): { store: ParamStore; grads: Float32Array[] } {
    const store = new Network(config, new ReferenceBackend()).store;
    const rng = new Rng(5);
    rng.fillNormal(store.data, 0, 1);
    const grads = [0, 1, 2].map(() => rng.fillNormal(new Float32Array(store.data.length), 0, 8));
    return { store, grads };
  }

  it('ranges in any number of parts give the bits of the gradient sum and Adam.step over everything', () => {
    const whole = setup();
    const adam = new Adam(whole.store, { ...defaultAdamOptions, lr: 1e-2 });
    const n = whole.store.data.length;
    for (let step = 0; step < 3; step++) {
      const g = whole.store.grad;
      g.set(whole.grads[0]);
      for (const other of whole.grads.slice(1)) for (let i = 0; i < n; i++) g[i] += other[i];
      adam.step();
    }
    for (const parts of [1, 2, 3, 7]) {
      const split = setup();
      const adamSplit = new Adam(split.store, { ...defaultAdamOptions, lr: 1e-2 }, true);
      for (let step = 0; step < 3; step++) {
        const grads = split.grads.map((g) => g.slice());
        const c = adamSplit.begin();
        // Parts in reverse order: no range depends on another having run first.
        for (let p = parts - 1; p >= 0; p--) {
          const [from, to] = shardRows(n, parts, p);
          updateShardRange(split.store.data, grads, adamSplit.m, adamSplit.v, adamSplit.segments, c, from, to);
        }
        if (step === 2) assert.deepEqual(grads[0], whole.store.grad, `${parts} parts: the summed gradient`);
      }
      assert.deepEqual(split.store.data, whole.store.data, `${parts} parts: weights and untouched BN statistics`);
      assert.deepEqual(adamSplit.m, adam.m, `${parts} parts: Adam m`);
      assert.deepEqual(adamSplit.v, adam.v, `${parts} parts: Adam v`);
    }
  });

  it('leaves buffers (BN running statistics) alone and clamps gradients as configured', () => {
    const { store, grads } = setup();
    const before = store.data.slice();
    const adam = new Adam(store, { ...defaultAdamOptions, lr: 1e-2, gradClip: 0.5 });
    updateShardRange(store.data, grads, adam.m, adam.v, adam.segments, adam.begin(), 0, store.data.length);
    for (const p of store.params) {
      const changed = p.value.some((x, i) => x !== before[p.offset + i]);
      assert.equal(changed, p.role !== 'buffer', `${p.name} (${p.role})`);
    }
    // With the clamp at 0.5, |m| after one step is at most (1 - beta1) * (0.5 + weight decay * |w|).
    assert.ok(adam.m.every((m, i) => Math.abs(m) <= 0.1 * (0.5 + 1e-4 * Math.abs(before[i])) + 1e-7));
  });
});
