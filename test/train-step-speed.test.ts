// The training step's fast paths compute what the plain code computes: the same random stream for
// dropout masks drawn in one loop, and (below) the same optimiser bits when Adam is split over threads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
