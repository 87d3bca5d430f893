// One reused Float32Array for values that are consumed before the next ones are asked for: it grows (to
// at least double) when a larger view is wanted and is never shrunk, so a hot path makes no typed array
// per message or request.

export class FramesScratch {
  private data = new Float32Array(0);

  /** A view of n values, valid until the next take. */
  take(n: number): Float32Array {
    return this.atLeast(n).subarray(0, n);
  }

  /** The whole buffer, at least n values long (no view made), valid until the next call. */
  atLeast(n: number): Float32Array {
    if (this.data.length < n) this.data = new Float32Array(Math.max(n, 2 * this.data.length));
    return this.data;
  }
}
