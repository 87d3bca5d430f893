// The JSON a user gives `indrnn predict`: {"frames": [[v0, v1, ...], ...]}, one row of model inputs per
// frame (T x D). (Skeleton models take joints and apply the model's own preprocessing: see the server.)
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const inputSchema = z.object({
  frames: z.array(z.array(z.number().finite())).min(1, 'needs at least one frame'),
});

/** Reads and checks an input file: returns x [T, 1, D]. */
export function readSequenceFile(path: string, D: number): { x: Float32Array; T: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  const frames = parsed.data.frames;
  const x = new Float32Array(frames.length * D);
  frames.forEach((f, t) => {
    if (f.length !== D)
      throw new Error(`${path}: frames.${t} has ${f.length} values, the model expects ${D} per frame`);
    x.set(f, t * D);
  });
  return { x, T: frames.length };
}
