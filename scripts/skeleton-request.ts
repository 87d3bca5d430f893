// Turns an NTU .skeleton file into the body of a predict request: {"frames": T x bodies x 25 x 3}.
import { selectBodies } from '../src/data/bodies.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';
import { scriptArgs } from './script-args.js';

const { values, positionals } = scriptArgs({
  name: 'skeleton-request',
  about:
    'turn an NTU .skeleton file into the JSON body of a predict request (T x 2 bodies x 25 joints x xyz), on stdout',
  positionals: { usage: 'FILE.skeleton', min: 1, max: 1 },
  options: { 'top-k': { type: 'string', default: '5', arg: 'K', help: 'the most probable K classes in the answer' } },
  examples: [
    'node dist/scripts/skeleton-request.js /tmp/demo/S001C001P001R001A023.skeleton --top-k 3 > /tmp/demo.json',
    "curl -s localhost:8080/v1/models/ntu-synth/predict -H 'content-type: application/json' -d @/tmp/demo.json",
  ],
});
const B = 2;
const J = 25;
const s = selectBodies(readSkeletonFile(positionals[0]), { bodies: B, joints: J });
const joint = (t: number, b: number, j: number) =>
  Array.from(s.data.subarray(((t * B + b) * J + j) * 3, ((t * B + b) * J + j + 1) * 3));
const frames = Array.from({ length: s.T }, (_, t) =>
  Array.from({ length: B }, (_, b) => Array.from({ length: J }, (_, j) => joint(t, b, j))),
);
process.stdout.write(`${JSON.stringify({ frames, topK: Number(values['top-k']) })}\n`);
