// Turns an NTU .skeleton file into the body of a predict request: {"frames": T x bodies x 25 x 3}.
// Usage: node dist/scripts/skeleton-request.js FILE.skeleton [--top-k K] > request.json
import { parseArgs } from 'node:util';
import { selectBodies } from '../src/data/bodies.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'top-k': { type: 'string', default: '5' } },
});
if (positionals.length !== 1) throw new Error('usage: skeleton-request FILE.skeleton [--top-k K]');
const B = 2;
const J = 25;
const s = selectBodies(readSkeletonFile(positionals[0]), { bodies: B, joints: J });
const joint = (t: number, b: number, j: number) =>
  Array.from(s.data.subarray(((t * B + b) * J + j) * 3, ((t * B + b) * J + j + 1) * 3));
const frames = Array.from({ length: s.T }, (_, t) =>
  Array.from({ length: B }, (_, b) => Array.from({ length: J }, (_, j) => joint(t, b, j))),
);
process.stdout.write(`${JSON.stringify({ frames, topK: Number(values['top-k']) })}\n`);
