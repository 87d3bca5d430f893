// The pages' frames as a model takes them (src/ui/model-frames.ts): the model's bodies, and its floats per
// joint: a 2D model is sent x and y only, since a third value would be read as a point's score.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameBuffer, nestedFrames } from '../src/ui/model-frames.js';

// Two frames of 2 bodies x 2 joints x 3 (x, y, z): value = 100 t + 10 (b * 2 + j) + c.
const data = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => {
  const c = i % 3;
  const p = Math.floor(i / 3) % 4;
  return 100 * Math.floor(i / 12) + 10 * p + c;
});

describe('frames for a model', () => {
  it('binary frames: 3 floats per joint, or 2 (x, y) for a 2D model; extra bodies dropped', () => {
    const buffer = new FrameBuffer();
    assert.deepEqual([...buffer.frames(data, 2, 2, 0, 2, 1)], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    assert.deepEqual([...buffer.frames(data, 2, 2, 0, 2, 1, 2)], [0, 1, 10, 11, 100, 101, 110, 111]);
    assert.deepEqual([...buffer.frames(data, 2, 2, 1, 1, 3, 2)], [100, 101, 110, 111, 120, 121, 130, 131, 0, 0, 0, 0]);
  });

  it('nested frames for HTTP predict, of either width, from data of either stride', () => {
    assert.deepEqual(nestedFrames(data, 2, 2, 1, 2, 1, 2), [
      [
        [
          [100, 101],
          [110, 111],
        ],
      ],
    ]);
    assert.deepEqual(nestedFrames(data, 2, 2, 0, 1, 1), [
      [
        [
          [0, 1, 2],
          [10, 11, 12],
        ],
      ],
    ]);
    const pairs = Float32Array.from([1, 2, 3, 4]);
    assert.deepEqual(nestedFrames(pairs, 1, 2, 0, 1, 1, 2, 2), [
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
  });
});
