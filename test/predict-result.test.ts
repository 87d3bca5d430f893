// classPrediction ranks classes without sorting a copy of the row: it must give the same top-k (ties: the
// lower index first) and the same softmax probabilities as a full sort of the softmax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { softmaxRows } from '../src/nn/loss.js';
import { classPrediction } from '../src/predict/result.js';
import { Rng } from '../src/util/rng.js';

describe('classPrediction', () => {
  it('top-k and probabilities equal a full sort of the softmax, ties included (random rows)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 500; trial++) {
      const K = 1 + Math.floor(rng.uniform(0, 70));
      const B = 3;
      const T = 2;
      const k = 1 + Math.floor(rng.uniform(0, 10));
      // Values on a coarse grid, so that ties are common.
      const logits = Float32Array.from({ length: T * B * K }, () => Math.round(rng.uniform(0, 8)) / 2 - 2);
      const b = Math.floor(rng.uniform(0, B));
      const labels = Array.from({ length: K }, (_, i) => ({ name: `c${i}`, ...(i % 2 ? { ntuAction: i } : {}) }));
      const p = classPrediction(logits, B, K, b, 1, labels, { topK: k, timeline: false });
      const row = softmaxRows(logits.slice((B + b) * K, (B + b + 1) * K), 1, K);
      const order = Array.from(row.keys())
        .sort((x, y) => row[y] - row[x])
        .slice(0, k);
      assert.deepEqual(
        p.topK.map((s) => s.index),
        order,
      );
      for (const s of p.topK) {
        assert.ok(Math.abs(s.probability - row[s.index]) < 1e-6);
        assert.equal(s.label, `c${s.index}`);
        assert.equal(s.ntuAction, s.index % 2 ? s.index : undefined);
        assert.equal('ntuAction' in s, s.index % 2 === 1);
      }
      assert.equal(p.index, order[0]);
      assert.equal(p.frames, 2);
    }
  });

  it('timeline: the best class at every frame', () => {
    const logits = Float32Array.from([0, 1, 2, 5, 1, 0]); // T=3, B=1, K=2
    const p = classPrediction(logits, 1, 2, 0, 2, [], { topK: 2, timeline: true });
    assert.deepEqual(
      p.timeline?.map((s) => s.index),
      [1, 1, 0],
    );
    assert.equal(p.index, 0);
  });
});
