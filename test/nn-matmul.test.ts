import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OrtMatmul, ReferenceMatmul } from '../src/nn/matmul.js';
import { Rng } from '../src/util/rng.js';
import { randomArray } from './helpers/gradcheck.js';

describe('onnxruntime matrix products agree with the reference', () => {
  const ort = new OrtMatmul(1);
  const ref = new ReferenceMatmul();
  after(() => ort.release());
  const variants = [
    { transA: false, transB: false },
    { transA: false, transB: true },
    { transA: true, transB: false },
    { transA: false, transB: false, withBias: true },
  ];
  for (const v of variants) {
    it(`transA=${v.transA} transB=${v.transB} bias=${!!v.withBias}`, async () => {
      const rng = new Rng(1);
      for (const [M, K, N] of [
        [7, 5, 3],
        [33, 17, 65],
        [1, 1, 1],
      ]) {
        const a = randomArray(rng, M * K);
        const b = randomArray(rng, K * N);
        const bias = v.withBias ? randomArray(rng, N) : undefined;
        const opts = { transA: v.transA, transB: v.transB, bias };
        const got = await ort.gemm(a, b, M, K, N, opts);
        const want = await ref.gemm(a, b, M, K, N, opts);
        assert.equal(got.length, M * N);
        for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `[${M},${K},${N}] at ${i}: ${got[i]} vs ${want[i]}`);
      }
    });
  }

  it('rejects inputs of the wrong size with the numbers', async () => {
    await assert.rejects(ort.gemm(new Float32Array(5), new Float32Array(6), 2, 3, 2), /A has 5 values, expected M\*K = 2\*3/);
  });

  it('handles empty products (T = 0)', async () => {
    const c = await ort.gemm(new Float32Array(0), new Float32Array(6), 0, 3, 2);
    assert.equal(c.length, 0);
  });
});
