// A source's joints [T, srcBodies, joints, 3] as the model takes them: its `bodies` (extra bodies dropped,
// missing ones zero) and its floats per joint (`channels`: a 2D model's dims, 2, keeps x and y: a third
// value would be read as a score), as float32 for a binary stream message or as nested arrays for HTTP
// predict.

/** Frames for binary stream messages, in one buffer (and one view of it) reused from message to message. */
export class FrameBuffer {
  private buffer = new Float32Array(0);
  private view = new Float32Array(0);

  /** Frames [first, first + count) of `channels` floats per joint: a view valid until the next call. */
  frames(
    data: Float32Array,
    srcBodies: number,
    joints: number,
    first: number,
    count: number,
    bodies: number,
    channels: 2 | 3 = 3,
  ): Float32Array<ArrayBuffer> {
    const frameSize = bodies * joints * channels;
    const n = count * frameSize;
    if (this.buffer.length < n) this.buffer = new Float32Array(n);
    if (this.view.length !== n) this.view = new Float32Array(this.buffer.buffer, 0, n);
    const out = this.view;
    out.fill(0);
    const keep = Math.min(bodies, srcBodies) * joints; // joints of the bodies kept
    for (let i = 0; i < count; i++) {
      const src = (first + i) * srcBodies * joints * 3;
      const dst = i * frameSize;
      for (let p = 0; p < keep; p++)
        for (let c = 0; c < channels; c++) out[dst + p * channels + c] = data[src + p * 3 + c];
    }
    return out;
  }
}

/**
 * Frames [from, to) as nested arrays [T][B][J][C] for HTTP predict: C = `channels` values per joint, read
 * from `data` with `stride` values per joint.
 */
export function nestedFrames(
  data: Float32Array,
  srcBodies: number,
  joints: number,
  from: number,
  to: number,
  bodies: number,
  channels: 2 | 3 = 3,
  stride = 3,
): number[][][][] {
  const out: number[][][][] = [];
  const keep = Math.min(bodies, srcBodies);
  for (let t = from; t < to; t++) {
    const frame: number[][][] = [];
    for (let b = 0; b < keep; b++) {
      const body: number[][] = [];
      for (let j = 0; j < joints; j++) {
        const at = ((t * srcBodies + b) * joints + j) * stride;
        body.push(Array.from(data.subarray(at, at + channels)));
      }
      frame.push(body);
    }
    out.push(frame);
  }
  return out;
}
