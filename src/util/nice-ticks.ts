// Axis ticks people read easily: 0, d, 2d, ... with d one of 1, 2 or 5 times a power of ten. Shared by the
// SVG plots (src/train/plots.ts) and the live page's canvases (its timeline's seconds, its histograms).

/** Ticks 0, d, 2d, ... up to the first at or above `max`, about `about` of them; [0, 1] for no positive max. */
export function niceTicks(max: number, about = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / about;
  const p = 10 ** Math.floor(Math.log10(raw));
  const d = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const n = Math.ceil(max / d - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * d).toPrecision(12)));
}
