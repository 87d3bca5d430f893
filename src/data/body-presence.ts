// Whether a body is present in a frame: an absent body is all zeros (readers, preprocessing, input streams).

/** True when body b of a frame [B, J, 3] (at `at` in `frame`) is all zeros (not present). */
export function bodyAbsent(frame: Float32Array, b: number, J: number, at = 0): boolean {
  const base = at + b * J * 3;
  for (let i = 0; i < J * 3; i++) if (frame[base + i] !== 0) return false;
  return true;
}
