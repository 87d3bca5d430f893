// Finite-difference gradient checking: the same derivative computed two ways (micrograd's habit).
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return rng.fillUniform(new Float32Array(n), -scale, scale);
}

/** Σ r ⊙ y: a scalar loss whose gradient with respect to y is r. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Compares analytic[i] with the central difference (f(x+e) - f(x-e)) / 2e on up to `samples` indices of x.
 * f is evaluated with x modified in place (and restored). Tolerance mixes relative and absolute error
 * because the forward runs in float32. ReLU kinks within eps of the point spoil a central difference, so
 * a mismatch is retried once with eps / 10 before it counts as a failure.
 */
export async function checkGradient(
  label: string,
  x: Float32Array,
  analytic: Float32Array,
  f: () => number | Promise<number>,
  opts: { eps?: number; rtol?: number; atol?: number; samples?: number; rng?: Rng } = {},
): Promise<void> {
  const { eps = 1e-3, rtol = 2e-2, atol = 2e-3, samples = 24 } = opts;
  const rng = opts.rng ?? new Rng(7);
  const indices = x.length <= samples ? [...x.keys()] : Array.from({ length: samples }, () => rng.int(x.length));
  let worst = 0;
  for (const i of indices) {
    let numeric = await centralDifference(x, i, eps, f);
    let err = Math.abs(numeric - analytic[i]);
    let allowed = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic[i]));
    if (err > allowed) {
      numeric = await centralDifference(x, i, eps / 10, f);
      err = Math.abs(numeric - analytic[i]);
      allowed = atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic[i]));
    }
    worst = Math.max(worst, err / allowed);
    assert.ok(
      err <= allowed,
      `${label}[${i}]: analytic ${analytic[i]} vs numeric ${numeric} (|diff| ${err.toExponential(2)} > ${allowed.toExponential(2)})`,
    );
  }
  assert.ok(worst <= 1);
}

async function centralDifference(
  x: Float32Array,
  i: number,
  eps: number,
  f: () => number | Promise<number>,
): Promise<number> {
  const orig = x[i];
  x[i] = orig + eps;
  const fPlus = await f();
  x[i] = orig - eps;
  const fMinus = await f();
  x[i] = orig;
  return (fPlus - fMinus) / (2 * eps);
}
