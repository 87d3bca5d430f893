// A source's joints [T, srcBodies, joints, 3] as the model takes them: its `bodies` (extra bodies dropped,
// missing ones zero), as float32 for a binary stream message or as nested arrays for HTTP predict.

/** Frames for binary stream messages, in one buffer reused from message to message. */
export class FrameBuffer {
  private buffer = new Float32Array(0);

  /** Frames [first, first + count): a view valid until the next call. */
  frames(
    data: Float32Array,
    srcBodies: number,
    joints: number,
    first: number,
    count: number,
    bodies: number,
  ): Float32Array<ArrayBuffer> {
    const J3 = joints * 3;
    const frameSize = bodies * J3;
    if (this.buffer.length < count * frameSize) this.buffer = new Float32Array(count * frameSize);
    const out = new Float32Array(this.buffer.buffer, 0, count * frameSize);
    out.fill(0);
    const keep = Math.min(bodies, srcBodies);
    for (let i = 0; i < count; i++) {
      const src = (first + i) * srcBodies * J3;
      out.set(data.subarray(src, src + keep * J3), i * frameSize);
    }
    return out;
  }
}

/** Frames [from, to) as nested arrays [T][B][J][3] for HTTP predict. */
export function nestedFrames(
  data: Float32Array,
  srcBodies: number,
  joints: number,
  from: number,
  to: number,
  bodies: number,
): number[][][][] {
  const out: number[][][][] = [];
  const keep = Math.min(bodies, srcBodies);
  for (let t = from; t < to; t++) {
    const frame: number[][][] = [];
    for (let b = 0; b < keep; b++) {
      const body: number[][] = [];
      for (let j = 0; j < joints; j++) {
        const at = ((t * srcBodies + b) * joints + j) * 3;
        body.push([data[at], data[at + 1], data[at + 2]]);
      }
      frame.push(body);
    }
    out.push(frame);
  }
  return out;
}
