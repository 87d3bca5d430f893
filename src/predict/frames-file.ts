// The JSON file a user gives `indrnn predict`: the body of an HTTP predict request for one sequence,
// {"frames": [...]} — joints (T x joints x 3, or T x bodies x joints x 3) for skeleton models, rows of
// model inputs (T x D) for the others — checked and converted by the server's own code.
import { readFileSync } from 'node:fs';

/** The file's frames, and the whole object (its other fields are the request's options). */
export function readPredictFile(path: string): { frames: unknown[]; body: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const frames = (raw as { frames?: unknown } | null)?.frames;
  if (!Array.isArray(frames)) throw new Error(`${path}: expected an object {"frames": [...]}, one entry per frame`);
  return { frames, body: raw as Record<string, unknown> };
}
