// The fused recurrent unit (IndRec -> BN -> dropout in two passes) against the unfused reference layers.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OrtBackend, ReferenceBackend } from '../src/nn/backend.js';
import { BatchNorm } from '../src/nn/layers/batchnorm.js';
import { Dropout } from '../src/nn/layers/dropout.js';
import { IndRNN } from '../src/nn/layers/indrnn.js';
import { RecUnit } from '../src/nn/layers/rec-unit.js';
import { ParamStore } from '../src/nn/params.js';
import { type Layer, seq } from '../src/nn/seq.js';
import { Rng } from '../src/util/rng.js';
import { randomArray } from './helpers/gradcheck.js';

/** The unfused layers one after another. */
function chain(layers: Layer[]): Layer {
  return {
    async forward(x, ctx) {
      for (const layer of layers) x = await layer.forward(x, ctx);
      return x;
    },
    async backward(dy) {
      for (let i = layers.length - 1; i >= 0; i--) dy = await layers[i].backward(dy);
      return dy;
    },
  };
}

function assertClose(label: string, a: Float32Array, b: Float32Array, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${label}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  assert.ok(worst <= tol, `${label}: max relative difference ${worst.toExponential(2)} > ${tol}`);
}

describe('fused recurrent unit equals IndRNN -> BatchNorm -> Dropout', () => {
  const ort = new OrtBackend(1);
  after(() => ort.release());
  const backends = [new ReferenceBackend(), ort];
  const cases = [
    { name: 'BN + dropout, zero state', batchNorm: true, dropout: 0.3, withH0: false },
    { name: 'BN + dropout, given state', batchNorm: true, dropout: 0.3, withH0: true },
    { name: 'no BN, no dropout, given state', batchNorm: false, dropout: 0, withH0: true },
    { name: 'no BN, dropout', batchNorm: false, dropout: 0.5, withH0: false },
  ];
  for (const c of cases.flatMap((c) => backends.map((backend) => ({ ...c, backend })))) {
    it(`${c.name} (${c.backend.name} backend)`, async () => {
      const [T, B, H] = [6, 4, 9];
      const opts = { mag: 5, seqLen: T, last: false };
      const fusedStore = new ParamStore();
      const fused = new RecUnit(
        fusedStore,
        'rec',
        'bn',
        H,
        0,
        { ...opts, batchNorm: c.batchNorm, dropout: c.dropout },
        c.backend,
      );
      fusedStore.allocate();
      const refStore = new ParamStore();
      const ref = chain([
        new IndRNN(refStore, 'rec', H, 0, opts),
        ...(c.batchNorm ? [new BatchNorm(refStore, 'bn', H)] : []),
        ...(c.dropout > 0 ? [new Dropout(c.dropout)] : []),
      ]);
      refStore.allocate();
      const rng = new Rng(21);
      fusedStore.initialize(rng);
      for (const p of fusedStore.params) if (p.role === 'bn') rng.fillUniform(p.value, 0.5, 1.5);
      refStore.data.set(fusedStore.data);

      const z = seq(randomArray(rng, T * B * H), T, B, H);
      const h0 = c.withH0 ? [rng.fillUniform(new Float32Array(B * H), 0, 1)] : undefined;
      const ctx = () => ({ training: true, rng: new Rng(5), h0, hT: [] as Float32Array[] });
      const fusedCtx = ctx();
      const refCtx = ctx();
      const yFused = (await fused.forward(z, fusedCtx)).data.slice();
      const yRef = (await ref.forward(z, refCtx)).data.slice();
      assertClose('forward', yFused, yRef);
      assertClose('final state', fusedCtx.hT[0], refCtx.hT[0]);

      const dy = seq(randomArray(rng, T * B * H), T, B, H);
      const dzFused = (await fused.backward(dy)).data.slice();
      const dzRef = (await ref.backward(dy)).data.slice();
      assertClose('dz', dzFused, dzRef, 1e-4);
      for (const p of fusedStore.params) {
        if (p.role === 'buffer') assertClose(p.name, p.value, refStore.get(p.name).value);
        else assertClose(`d${p.name}`, p.grad, refStore.get(p.name).grad, 1e-4);
      }

      // Eval mode (running statistics, no dropout) agrees too.
      const eFused = (await fused.forward(z, { training: false, h0 })).data.slice();
      const eRef = (await ref.forward(z, { training: false, h0 })).data.slice();
      assertClose('eval forward', eFused, eRef);
    });
  }
});
