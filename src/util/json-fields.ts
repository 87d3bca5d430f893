// JSON read from a file, checked with messages that name the file and the field:
// "samples.jsonl line 3: frames[2][0][1]: 1e+39 is out of range for a 32-bit float (at most ±3.4e38)".
import type { z } from 'zod';

/** A zod issue path as a field name: frames[3][0], sections.frames.offset. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((k, n) => (typeof k === 'number' ? `[${k}]` : n === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** The largest finite 32-bit float. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Why a JSON number is out of range: JSON.parse reads a number beyond ±1.8e308 (1e999) as ±Infinity,
 * which a message would otherwise show as "Infinity" or, through JSON.stringify, as "null".
 */
export function outOfRange(v: number, what = 'a 64-bit float'): string {
  const shown = Number.isFinite(v) ? String(v) : `${v} (a number beyond ±1.8e308, such as 1e999)`;
  return `${shown} is out of range for ${what}`;
}

/**
 * `json` checked against `schema`; otherwise throws "`where`: field: message" (a TypeError for a value of
 * the wrong type, else a RangeError), `whole` standing for the field when the value itself is wrong.
 */
export function parseWith<S extends z.ZodType>(schema: S, json: unknown, where: string, whole: string): z.output<S> {
  const r = schema.safeParse(json, { reportInput: true });
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const field = fieldPath(i.path) || whole;
  if (typeof i.input === 'number' && !Number.isFinite(i.input))
    throw new RangeError(`${where}: ${field}: ${outOfRange(i.input)}`);
  const msg = `${where}: ${field}: ${i.message}`;
  throw i.code === 'invalid_type' || i.code === 'invalid_union' ? new TypeError(msg) : new RangeError(msg);
}
