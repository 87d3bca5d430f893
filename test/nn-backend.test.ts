import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { OrtBackend, ReferenceBackend } from '../src/nn/backend.js';
import { Rng } from '../src/util/rng.js';
import { randomArray } from './helpers/gradcheck.js';

describe('onnxruntime backend agrees with the reference', () => {
  const ort = new OrtBackend(1);
  const ref = new ReferenceBackend();
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
        for (let i = 0; i < got.length; i++)
          assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `[${M},${K},${N}] at ${i}: ${got[i]} vs ${want[i]}`);
      }
    });
  }

  it('elementwise: add, channel moments, masked sums', async () => {
    const rng = new Rng(2);
    const [T, B, C] = [5, 3, 7];
    const a = randomArray(rng, T * B * C);
    const b = randomArray(rng, T * B * C);
    const mask = randomArray(rng, B * C);
    const close = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
      assert.equal(x.length, y.length);
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-4, `${what}[${i}]: ${x[i]} vs ${y[i]}`);
    };
    const outOrt = new Float32Array(a.length);
    const outRef = new Float32Array(a.length);
    await ort.add(outOrt, a, b);
    await ref.add(outRef, a, b);
    close(outOrt, outRef, 'add');
    const mOrt = await ort.channelMoments(a, T * B, C);
    const mRef = await ref.channelMoments(a, T * B, C);
    close(mOrt.a, mRef.a, 'sum');
    close(mOrt.b, mRef.b, 'sum of squares');
    const sOrt = await ort.maskedSums(a, mask, b, T, B, C);
    const sRef = await ref.maskedSums(a, mask, b, T, B, C);
    close(sOrt.a, sRef.a, 'masked sum');
    close(sOrt.b, sRef.b, 'masked product sum');
  });

  it('rejects inputs of the wrong size with the numbers', async () => {
    await assert.rejects(
      ort.gemm(new Float32Array(5), new Float32Array(6), 2, 3, 2),
      /A has 5 values, expected M\*K = 2\*3 = 6/,
    );
  });

  it('handles empty products (T = 0)', async () => {
    const c = await ort.gemm(new Float32Array(0), new Float32Array(6), 0, 3, 2);
    assert.equal(c.length, 0);
  });
});
