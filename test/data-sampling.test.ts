// Frame sampling (the paper's segments, fixed-rate windows) and augmentation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { augment, DEFAULT_AUGMENT, jointNoise, rotateYaw, speedChange, timeCrop } from '../src/data/augment.js';
import {
  fixedRateIndices,
  gatherFrames,
  sampleSegments,
  slidingWindows,
  testTimeSamplings,
} from '../src/data/sampling.js';
import { Rng } from '../src/util/rng.js';

describe('sampling', () => {
  it('takes one frame from each of T_out equal segments, the centre at test time', () => {
    assert.deepEqual(
      Array.from(sampleSegments(100, 20, null)),
      Array.from({ length: 20 }, (_, i) => i * 5 + 2),
    );
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const idx = sampleSegments(97, 20, rng);
      idx.forEach((t, i) => {
        assert.ok(
          t >= Math.floor((i * 97) / 20) && t < Math.floor(((i + 1) * 97) / 20),
          `frame ${t} outside segment ${i}`,
        );
      });
    }
  });

  it('repeats frames when the sequence is shorter than T_out', () => {
    const idx = Array.from(sampleSegments(5, 20, new Rng(1)));
    assert.equal(idx.length, 20);
    assert.ok(idx.every((t, i) => t >= 0 && t < 5 && (i === 0 || t >= idx[i - 1])));
    assert.deepEqual(new Set(idx), new Set([0, 1, 2, 3, 4]));
  });

  it('reproduces random samplings from the seed; the first test-time sampling is the centres', () => {
    assert.deepEqual(sampleSegments(80, 20, new Rng(9)), sampleSegments(80, 20, new Rng(9)));
    const s = testTimeSamplings(80, 20, 3, 5);
    assert.deepEqual(s[0], sampleSegments(80, 20, null));
    assert.notDeepEqual(s[1], s[2]);
  });

  it('gathers frames [T_in, D] -> [T_out, D] and checks indices', () => {
    const src = Float32Array.from({ length: 4 * 3 }, (_, i) => i);
    assert.deepEqual(Array.from(gatherFrames(src, 3, [3, 0])), [9, 10, 11, 0, 1, 2]);
    assert.throws(() => gatherFrames(src, 3, [4]), /frame index 4 at position 0 is outside 0\.\.3/);
    assert.throws(() => sampleSegments(0, 20, null), RangeError);
    assert.throws(() => sampleSegments(10.5, 20, null), TypeError);
  });

  it('resamples to a fixed frame rate causally and cuts sliding windows', () => {
    assert.deepEqual(Array.from(fixedRateIndices(7, 30, 15)), [0, 2, 4, 6]);
    assert.deepEqual(Array.from(fixedRateIndices(3, 15, 30)), [0, 0, 1, 1, 2]);
    assert.deepEqual(slidingWindows(10, 4, 3), [
      { start: 0, end: 4 },
      { start: 3, end: 7 },
      { start: 6, end: 10 },
    ]);
    assert.deepEqual(slidingWindows(11, 4, 3).at(-1), { start: 7, end: 11 });
    assert.deepEqual(slidingWindows(3, 4, 1), [{ start: 0, end: 3 }]);
  });
});

describe('augmentation', () => {
  const dims = { bodies: 2, joints: 25 };
  const D = 150;
  const T = 40;
  // body 1 absent: augmentations must keep it exactly zero
  const frames = Float32Array.from({ length: T * D }, (_, i) => (i % D < 75 ? Math.sin(i) : 0));

  it('rotation about y keeps heights and distances from the vertical axis', () => {
    const r = rotateYaw(frames.slice(), 0.7);
    for (let i = 0; i < 75; i += 3) {
      assert.ok(Math.abs(r[i + 1] - frames[i + 1]) < 1e-6);
      assert.ok(Math.abs(Math.hypot(r[i], r[i + 2]) - Math.hypot(frames[i], frames[i + 2])) < 1e-5);
    }
  });

  it('noise, speed change and the composite keep an absent body at zero', () => {
    const noisy = jointNoise(frames.slice(), T, dims, 0.05, new Rng(1));
    const fast = speedChange(frames, T, dims, 2);
    assert.equal(fast.T, 20);
    const all = augment(frames, T, dims, DEFAULT_AUGMENT, new Rng(2));
    for (const [x, n] of [
      [noisy, T],
      [fast.frames, fast.T],
      [all.frames, all.T],
    ] as const) {
      for (let t = 0; t < n; t++) assert.ok(x.subarray(t * D + 75, (t + 1) * D).every((v) => v === 0));
    }
    assert.notDeepEqual(noisy.subarray(0, 75), frames.subarray(0, 75));
  });

  it('time crop keeps a contiguous run of at least cropMin * T frames', () => {
    const rng = new Rng(4);
    for (let k = 0; k < 20; k++) {
      const c = timeCrop(frames, T, D, 0.75, rng);
      assert.ok(c.T >= 30 && c.T <= T);
      const start = frames.indexOf(c.frames[0]) / D;
      assert.deepEqual(c.frames, frames.slice(start * D, (start + c.T) * D));
    }
  });

  it('reproduces from the seed and never changes its input', () => {
    const copy = frames.slice();
    const a = augment(frames, T, dims, DEFAULT_AUGMENT, new Rng(11));
    const b = augment(frames, T, dims, DEFAULT_AUGMENT, new Rng(11));
    assert.deepEqual(a, b);
    assert.deepEqual(frames, copy);
    assert.throws(() => augment(frames, T + 1, dims, DEFAULT_AUGMENT, new Rng(1)), /expected T\*D = 41\*150/);
  });
});
