// Equality of JSON-like values as JSON, whatever the order of object keys (configs read from different files).

/** The value as JSON with every object's keys sorted; undefined reads as null. */
export const canonicalJson = (v: unknown): string =>
  JSON.stringify(v ?? null, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

/** Equal as JSON, whatever the order of object keys. */
export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);
