// A copy between two Float32Arrays at offsets, for hot paths: `dst.set(src.subarray(a, b), at)` makes a
// view object per call, and the stream path copies a few rows per frame (docs/streaming.md).

/** dst[dstAt .. dstAt + n) = src[srcAt .. srcAt + n). */
export function copyValues(src: Float32Array, srcAt: number, dst: Float32Array, dstAt: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i];
}
