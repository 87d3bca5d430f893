// Options described once, as zod schemas: the command line's flags (their text) and files that store
// options (a checkpoint's task options) are read by the same checks, with the flag parsers' messages.
import { z } from 'zod';

/** How options schemas' fields are given on the command line (by withFlag): commander's spelling and help. */
export const optionFlags = z.registry<{ flag: string; help: string }>();

/** `field`, given on the command line by `flag` ('--seq-len <T>'). */
export function withFlag<T extends z.ZodType>(field: T, flag: string, help: string): T {
  optionFlags.add(field, { flag, help });
  return field;
}

const got = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/** A number given as a number or as a flag's text: `ok` says if it is one, `range` what else is wrong (or null). */
function numeric(what: string, ok: (n: number) => boolean, range: (n: number) => string | null) {
  const text = z.union([z.number(), z.string()], { error: (i) => `expected ${what}, got ${got(i.input)}` });
  return text.transform((v, ctx) => {
    const n = Number(v);
    const problem = ok(n) ? range(n) : `expected ${what}, got ${got(v)}`;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return n;
  });
}

export function intValue(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return numeric('an integer', Number.isInteger, (n) =>
    n < min ? `expected an integer >= ${min}, got ${n}` : n > max ? `expected an integer <= ${max}, got ${n}` : null,
  );
}

export function numberValue(min = -Infinity, max = Infinity) {
  return numeric('a number', Number.isFinite, (n) =>
    n < min || n > max ? `expected a number in [${min}, ${max}], got ${n}` : null,
  );
}

export function choiceValue<const T extends readonly string[]>(choices: T) {
  return z.enum(choices, { error: (i) => `expected one of ${choices.join(', ')}, got ${got(i.input)}` });
}

/** "1,2,3" -> [1, 2, 3]. */
export const intListValue = z.string().transform((value, ctx) => {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p, i) => p === '' || !Number.isInteger(nums[i])))
    ctx.addIssue({ code: 'custom', message: `expected comma-separated integers, got '${value}'` });
  return nums;
});

/** A string accepted by `check`, a function that throws its complaint (e.g. parseSplit). */
export function checkedString(check: (s: string) => unknown) {
  return z.string().superRefine((s, ctx) => {
    try {
      check(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
    }
  });
}

/** The flag an option of `schema` is given by ('--view-align'), else its key. */
export function flagName(schema: z.ZodObject, key: string): string {
  const field = schema.shape[key];
  return (field && optionFlags.get(field)?.flag.split(' ')[0]) ?? key;
}

/**
 * Options (a command line's or a stored file's) through their schema: defaults filled in; a failure is
 * an Error naming the flag: "--view-align: expected one of none, yaw, full, got 'sideways'".
 */
export function parseOptions<S extends z.ZodObject>(schema: S, values: unknown, where: string): z.output<S> {
  const r = schema.safeParse(values ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const flag = flagName(schema, String(i.path[0] ?? '(options)'));
  throw new Error(`${where}: ${i.message.includes(flag) ? '' : `${flag}: `}${i.message}`);
}
