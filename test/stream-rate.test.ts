// Rate models: the incremental resampler agrees with fixedRateIndices, and the staggered schedule keeps the
// state read at every step within a training window while giving it most of one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedRateIndices } from '../src/data/sampling.js';
import {
  chosenState,
  resetsAt,
  STAGGERED_STATES,
  StepClock,
  staggerOffsets,
  stateStart,
  stepSegments,
} from '../src/predict/rate.js';

describe('StepClock', () => {
  for (const [src, dst] of [
    [30, 10],
    [30, 15],
    [25, 10],
    [30, 30],
    [10, 30],
    [29.97, 12.5],
  ]) {
    it(`${src} -> ${dst} fps: the same steps and source frames as fixedRateIndices`, () => {
      const clock = new StepClock(src, dst);
      const frames: number[] = [];
      for (let t = 0; t < 200; t++) {
        const got = clock.advance();
        for (const f of got) assert.ok(f === t || f === t - 1, 'this frame or the previous');
        frames.push(...got);
        assert.deepEqual(frames, [...fixedRateIndices(t + 1, src, dst)], `after ${t + 1} frames`);
      }
    });
  }
});

describe('staggered states', () => {
  it('the state read has between W - W/K + 1 and W steps of history from step W on, and all of them before', () => {
    for (const W of [8, 20, 30, 31]) {
      const offsets = staggerOffsets(W, STAGGERED_STATES);
      assert.equal(offsets.length, STAGGERED_STATES);
      // Simulate the states: start steps, reset by resetsAt.
      const starts = offsets.map(() => 0);
      for (let n = 0; n < 10 * W; n++) {
        offsets.forEach((o, k) => {
          if (resetsAt(n, o, W)) starts[k] = n;
          assert.equal(stateStart(n, o, W), starts[k], `W=${W} n=${n} k=${k}`);
          assert.ok(n - starts[k] + 1 <= W, 'never more than a window');
        });
        const { start } = chosenState(n, offsets, W);
        assert.equal(start, Math.min(...starts));
        const history = n - start + 1;
        if (n < W) assert.equal(history, n + 1);
        else assert.ok(history >= W - Math.ceil(W / STAGGERED_STATES) + 1 && history <= W, `W=${W} n=${n}: ${history}`);
      }
    }
  });

  it('stepSegments covers every step once, each read from its chosen start', () => {
    const W = 8;
    const offsets = staggerOffsets(W, STAGGERED_STATES);
    const segs = stepSegments(50, { fps: 10, window: W }, false);
    let t = 0;
    for (const s of segs) {
      assert.equal(s.from, t);
      for (; t < s.end; t++) assert.equal(chosenState(t, offsets, W).start, s.start);
    }
    assert.equal(t, 50);
    assert.deepEqual(stepSegments(50, { fps: 10, window: W }, true), [
      { start: chosenState(49, offsets, W).start, from: 49, end: 50 },
    ]);
    assert.deepEqual(stepSegments(7, null, false), [{ start: 0, from: 0, end: 7 }]);
  });
});
