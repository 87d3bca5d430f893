// The binary frame codec (src/predict/binary-frames.ts) that HTTP binary bodies and a stream's binary
// messages share: full frames are read without allocating values (a view of an aligned payload, one copy
// into the caller's reused buffer otherwise), and errors carry the numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readBinaryFrames } from '../src/predict/binary-frames.js';
import type { InputSpec } from '../src/predict/input-spec.js';
import { FramesScratch } from '../src/util/scratch.js';

const ROWS: InputSpec = { kind: 'raw', inputSize: 3 };

/** The values as float32 little-endian bytes, starting `offset` bytes into a larger buffer. */
function payloadAt(values: number[], offset: number): Buffer {
  const bytes = Buffer.alloc(offset + values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], offset + i * 4);
  return bytes.subarray(offset);
}

describe('binary frames', () => {
  it('an aligned payload is read in place; an unaligned one is copied into the same reused buffer', () => {
    const values = [1, 2, 3, -4, 5.5, 6];
    const aligned = payloadAt(values, 8);
    const inPlace = readBinaryFrames(aligned, undefined, ROWS, 10, new FramesScratch());
    assert.equal(inPlace.frames.buffer, aligned.buffer, 'a view of the payload');
    assert.deepEqual([...inPlace.frames], values);
    assert.equal(inPlace.T, 2);

    const scratch = new FramesScratch();
    const first = readBinaryFrames(payloadAt(values, 3), undefined, ROWS, 10, scratch);
    const second = readBinaryFrames(payloadAt([7, 8, 9], 1), undefined, ROWS, 10, scratch);
    assert.equal(second.frames.buffer, first.frames.buffer, "the second message reuses the first one's buffer");
    assert.deepEqual([...second.frames], [7, 8, 9]);
    assert.equal(second.T, 1);
  });

  it('errors name the field and carry the numbers', () => {
    const refused = (payload: Buffer, code: string, field: string, message: string) =>
      assert.throws(
        () => readBinaryFrames(payload, undefined, ROWS, 2),
        (e: any) => e.code === code && e.details.field === field && e.message === message,
      );
    refused(
      Buffer.alloc(13),
      'invalid_shape',
      '(body)',
      'the binary payload has 13 bytes, not a multiple of 4 bytes per float32',
    );
    refused(
      Buffer.alloc(16),
      'invalid_shape',
      '(body)',
      'the binary payload has 4 floats, expected whole frames of 3 floats',
    );
    refused(
      Buffer.alloc(0),
      'empty_sequence',
      '(body)',
      'the binary payload holds no frame; a sequence needs at least 1',
    );
    refused(Buffer.alloc(36), 'too_many_frames', '(body)', 'the binary payload has 3 frames, the limit is 2');
    refused(
      payloadAt([0, 0, 0, 0, Number.POSITIVE_INFINITY, 0], 1),
      'non_finite_value',
      'frames[1][1]',
      'frames[1][1] is Infinity, expected a finite number',
    );
  });

  it('dimensions given with the payload (an HTTP header, read by the server) are checked; errors name their field', () => {
    const read = (bytes: number, dims: number[]) =>
      readBinaryFrames(Buffer.alloc(bytes), { field: 'shape', dims }, ROWS, 4);
    assert.equal(read(24, [2, 3]).T, 2);
    const refused = (bytes: number, dims: number[], code: string, field: string, message: string) =>
      assert.throws(
        () => read(bytes, dims),
        (e: any) => e.code === code && e.details.field === field && e.message === message,
      );
    refused(24, [2, 4], 'invalid_shape', 'shape', 'shape has 4 values per frame, the model expects 3');
    refused(
      24,
      [3, 3],
      'invalid_shape',
      '(body)',
      'the binary payload has 24 bytes, shape 3,3 needs 36 (float32 little-endian)',
    );
    refused(0, [0, 3], 'empty_sequence', 'shape', 'the binary payload holds no frame; a sequence needs at least 1');
    refused(60, [5, 3], 'too_many_frames', 'shape', 'the binary payload has 5 frames, the limit is 4');
  });

  it('2D full frames: 2 floats per joint (x, y) or 3 (x, y, score), aligned or not, into the reused buffer', () => {
    // 1 body x 2 joints, 2D: read as raw joints [T, 1, 2, 3] with z 0.
    const spec = { kind: 'skeleton', layout: 'two', bodies: 1, joints: 2, dims: 2, inputSize: 6 } as InputSpec;
    const scratch = new FramesScratch();
    for (const offset of [0, 1]) {
      const pairs = readBinaryFrames(payloadAt([1, 2, 3, 4, 5, 6, 7, 8], offset), undefined, spec, 10, scratch);
      assert.equal(pairs.T, 2, `offset ${offset}`);
      assert.deepEqual([...pairs.frames], [1, 2, 0, 3, 4, 0, 5, 6, 0, 7, 8, 0]);
      const scored = readBinaryFrames(payloadAt([1, 2, 0.9, 3, 4, 0.1], offset), undefined, spec, 10, scratch, {
        channels: 3,
        minScore: 0.3,
      });
      assert.equal(scored.T, 1);
      assert.deepEqual([...scored.frames], [1, 2, 0, 0, 0, 0], 'the point scored 0.1 is missing');
      assert.equal(scored.frames.buffer, pairs.frames.buffer, 'one reused buffer');
    }
    assert.throws(
      () => readBinaryFrames(payloadAt([1, 2, 3, 4], 0), undefined, spec, 10, scratch, { channels: 3 }),
      (e: any) =>
        e.code === 'invalid_shape' &&
        e.details.channels === 3 &&
        e.message ===
          'the binary payload has 4 floats, expected whole frames of 6 floats (1 body x 2 joints x 3 floats per joint); ' +
            '2D frames carry 2 (x, y) or 3 (x, y, score) floats per joint',
    );
    assert.throws(
      () => readBinaryFrames(payloadAt([1, Number.NaN, 3, 4], 1), undefined, spec, 10, scratch),
      (e: any) => e.code === 'non_finite_value' && e.details.field === 'frames[0][0][0][1]',
    );
  });
});
