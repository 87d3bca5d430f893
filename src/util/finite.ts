// Non-finite numbers out of a model (inputs finite in float32 can still overflow inside it: 3e38 joints
// minus their centre) must not reach a client as JSON null: callers check with this and answer an error.

/** True when a[from..to) holds only finite numbers. */
export function allFinite(a: Float32Array, from = 0, to = a.length): boolean {
  for (let i = from; i < to; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
