// Batch-norm calibration ("precise BN", Trainer.calibrateBatchNorm): forwards with ctx.bnCalibration use
// the batch's statistics, like training, and fold them into the running ones with the given momentum.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OrtBackend } from '../src/nn/backend.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { seq } from '../src/nn/seq.js';
import { Rng } from '../src/util/rng.js';

const mm = new OrtBackend(1);
after(() => mm.release());

const config: NetworkConfig = {
  arch: 'plain',
  inputSize: 3,
  hiddenSize: 8,
  depth: 2,
  numOutputs: 2,
  readout: 'last',
  dropout: 0,
  batchNorm: true,
  mag: 2,
  seqLen: 9,
  clipRecurrent: true,
};
const batch = (seed: number) => seq(new Rng(seed).fillNormal(new Float32Array(9 * 5 * 3), 0, 1), 9, 5, 3);
function fresh(): Network {
  const net = new Network(config, mm);
  net.store.initialize(new Rng(7));
  return net;
}
const stats = (net: Network) =>
  net.store.params.filter((p) => p.role === 'buffer').map((p) => ({ name: p.name, value: p.value.slice() }));

describe('batch-norm calibration', () => {
  it('momentum 1 sets the running statistics to the batch statistics a training forward folds in', async () => {
    const trained = fresh();
    await trained.forward(batch(1), { training: true, rng: new Rng(1) }); // running = 0.9 initial + 0.1 batch
    const calibrated = fresh();
    await calibrated.forward(batch(1), { training: false, bnCalibration: { momentum: 1 } });
    const a = stats(trained);
    const b = stats(calibrated);
    for (let i = 0; i < a.length; i++) {
      const initial = a[i].name.endsWith('running_var') ? 1 : 0;
      for (let k = 0; k < a[i].value.length; k++) {
        const batchStat = (a[i].value[k] - 0.9 * initial) / 0.1;
        assert.ok(Math.abs(b[i].value[k] - batchStat) < 1e-4 * (1 + Math.abs(batchStat)), `${a[i].name}[${k}]`);
      }
    }
  });

  it('momenta 1, 1/2 give the plain average of two batches, and evaluation forwards leave them alone', async () => {
    const one = fresh();
    await one.forward(batch(1), { training: false, bnCalibration: { momentum: 1 } });
    const two = fresh();
    await two.forward(batch(2), { training: false, bnCalibration: { momentum: 1 } });
    // Every layer normalises with the batch's own statistics, so each layer's are a function of its batch alone.
    const both = fresh();
    await both.forward(batch(1), { training: false, bnCalibration: { momentum: 1 } });
    await both.forward(batch(2), { training: false, bnCalibration: { momentum: 1 / 2 } });
    const [s1, s2, avg] = [stats(one), stats(two), stats(both)];
    assert.equal(avg.length, 4); // two layers x (mean, var)
    for (let i = 0; i < avg.length; i++) {
      for (let k = 0; k < avg[i].value.length; k++) {
        const want = (s1[i].value[k] + s2[i].value[k]) / 2;
        assert.ok(Math.abs(avg[i].value[k] - want) < 1e-5 * (1 + Math.abs(want)), `${avg[i].name}[${k}]`);
      }
    }
    const before = stats(both);
    await both.forward(batch(3), { training: false });
    assert.deepEqual(stats(both), before);
  });
});
