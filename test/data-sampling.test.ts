// Frame sampling (the paper's segments, fixed-rate windows) and augmentation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  augment,
  DEFAULT_AUGMENT,
  flipLeftRight,
  jointNoise,
  rotateYaw,
  speedChange,
  timeCrop,
} from '../src/data/augment.js';
import { getLayout } from '../src/data/layouts.js';
import { fixedRateIndices, gatherFrames, sampleSegments } from '../src/data/sampling.js';
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

  it('reproduces random samplings from the seed', () => {
    assert.deepEqual(sampleSegments(80, 20, new Rng(9)), sampleSegments(80, 20, new Rng(9)));
    assert.notDeepEqual(sampleSegments(80, 20, new Rng(9)), sampleSegments(80, 20, new Rng(10)));
  });

  it('gathers frames [T_in, D] -> [T_out, D] and checks indices', () => {
    const src = Float32Array.from({ length: 4 * 3 }, (_, i) => i);
    assert.deepEqual(Array.from(gatherFrames(src, 3, [3, 0])), [9, 10, 11, 0, 1, 2]);
    assert.throws(() => gatherFrames(src, 3, [4]), /frame index 4 at position 0 is outside 0\.\.3/);
    assert.throws(() => sampleSegments(0, 20, null), RangeError);
    assert.throws(() => sampleSegments(10.5, 20, null), TypeError);
  });

  it('resamples to a fixed frame rate causally', () => {
    assert.deepEqual(Array.from(fixedRateIndices(7, 30, 15)), [0, 2, 4, 6]);
    assert.deepEqual(Array.from(fixedRateIndices(3, 15, 30)), [0, 0, 1, 1, 2]);
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

describe('augmentation of 2D keypoints (penn13)', () => {
  const penn = getLayout('penn13');
  const dims = { bodies: 2, joints: 13, layout: penn };
  const D = 2 * 13 * 3;
  const T = 30;
  // Body 0 moves in x and y, z = 0 (2D); body 1 absent.
  const frames = Float32Array.from({ length: T * D }, (_, i) =>
    i % D < 39 && i % 3 !== 2 ? Math.sin(i) + (i % 3) : 0,
  );
  const point = (f: Float32Array, t: number, j: number) => Array.from(f.subarray(t * D + j * 3, t * D + j * 3 + 3));

  it('declares every left/right pair of the body as mirror pairs', () => {
    const names = (pairs: readonly (readonly [number, number])[]) =>
      pairs.map(([l, r]) => [penn.joints[l], penn.joints[r]]);
    assert.deepEqual(
      names(penn.mirror ?? []),
      ['shoulder', 'elbow', 'wrist', 'hip', 'knee', 'ankle'].map((p) => [`left_${p}`, `right_${p}`]),
    );
  });

  it('a flip mirrors x and swaps left and right joints; twice is the identity; an absent body stays zero', () => {
    const f = flipLeftRight(frames.slice(), T, dims, penn.mirror ?? []);
    for (const t of [0, 17]) {
      const [x, y] = point(frames, t, 1); // left shoulder
      assert.deepEqual(point(f, t, 2), [-x, y, 0]); // -> the right shoulder's place
      const [hx, hy] = point(frames, t, 0); // the head stays the head
      assert.deepEqual(point(f, t, 0), [-hx, hy, 0]);
    }
    assert.ok(f.every((v, i) => i % D < 39 || v === 0));
    assert.deepEqual(flipLeftRight(f, T, dims, penn.mirror ?? []), frames);
  });

  it('the default recipe flips about half of the 2D sequences, and keeps them 2D (z stays 0)', () => {
    const cfg = {
      ...DEFAULT_AUGMENT,
      speed: [1, 1] as [number, number],
      cropMin: 1,
      scale: [1, 1] as [number, number],
    };
    let flipped = 0;
    const n = 200;
    for (let k = 0; k < n; k++) {
      const a = augment(frames, T, dims, cfg, new Rng(k));
      assert.ok(
        a.frames.every((v, i) => i % 3 !== 2 || v === 0),
        'no depth',
      );
      // The right shoulder's y (not changed by rotation or by mirroring) tells a flip: it holds the left's.
      if (Math.abs(a.frames[7] - frames[4]) < 0.1) flipped++;
    }
    assert.ok(flipped > 70 && flipped < 130, `${flipped} of ${n} flipped`);
    // A 3D layout, or a layout without mirror pairs, is not flipped and draws what it always did.
    const noFlip = augment(frames, T, { bodies: 2, joints: 13 }, cfg, new Rng(3));
    assert.deepEqual(augment(frames, T, { bodies: 2, joints: 13 }, { ...cfg, flip: 0 }, new Rng(3)), noFlip);
  });

  it('a turn about the vertical narrows 2D keypoints (x cos a) and puts no depth into them', () => {
    const r = rotateYaw(frames.slice(), 0.5, true);
    for (let i = 0; i < 39; i += 3) {
      assert.ok(Math.abs(r[i] - frames[i] * Math.cos(0.5)) < 1e-6);
      assert.equal(r[i + 1], frames[i + 1]);
      assert.equal(r[i + 2], 0);
    }
    const noisy = jointNoise(frames.slice(), T, dims, 0.05, new Rng(1), true);
    assert.ok(noisy.every((v, i) => i % 3 !== 2 || v === 0));
  });
});
