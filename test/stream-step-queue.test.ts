// StepQueue: a stream's waiting steps with their inputs in one ring buffer; order and inputs must survive
// wrapping around and growing while steps come and go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepQueue } from '../src/stream/step-queue.js';

const D = 3;
const input = (i: number) => Float32Array.from({ length: D }, (_, d) => i * 10 + d);
const firstInput = (q: StepQueue) => {
  const out = new Float32Array(D);
  q.copyFirstInput(out, 0);
  return Array.from(out);
};

describe('StepQueue', () => {
  it('first in, first out, with each step its own input, across wrap-arounds and growth', () => {
    const q = new StepQueue(D, 2);
    let pushed = 0;
    let shifted = 0;
    // Interleave pushes and shifts so the ring wraps, then grows while wrapped.
    for (const [push, shift] of [
      [2, 1],
      [1, 1],
      [3, 0],
      [5, 2],
      [0, 4],
      [4, 7],
    ]) {
      for (let i = 0; i < push; i++) q.push({ frame: pushed, step: pushed, arrivedAt: 0 }, input(pushed++));
      for (let i = 0; i < shift; i++) {
        assert.equal(q.first()?.step, shifted);
        assert.deepEqual(firstInput(q), Array.from(input(shifted)));
        q.shift();
        shifted++;
      }
      assert.equal(q.length, pushed - shifted);
    }
    assert.equal(q.length, 0);
    assert.equal(q.first(), undefined);
  });

  it('push reads D values at an offset; clear empties and reports the count', () => {
    const q = new StepQueue(D);
    const frames = Float32Array.from([1, 2, 3, 4, 5, 6]);
    q.push({ frame: 0, step: 0, arrivedAt: 0 }, frames, 3);
    assert.deepEqual(firstInput(q), [4, 5, 6]);
    q.push({ frame: 1, step: 1, arrivedAt: 0 }, frames, 0);
    assert.equal(q.clear(), 2);
    assert.equal(q.length, 0);
    q.push({ frame: 2, step: 2, arrivedAt: 0 }, frames, 0);
    assert.deepEqual(firstInput(q), [1, 2, 3]);
  });
});
