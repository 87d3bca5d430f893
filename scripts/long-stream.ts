// Long streams: is a rate model's prediction as good after 10,000 frames of continuous, changing actions
// as on a fresh stream? Per-step accuracy against the per-frame labels of synthetic continuous recordings
// (`indrnn data synth --streams`), by 1000-frame block, for
//   staggered  the server's method (src/predict/rate.ts): K staggered states reset every `window` steps,
//              read from the one with the most history (the same numbers as a WebSocket stream: tested)
//   carried    one state carried over the whole stream, never reset (the naive O(1) stream)
// Steps whose frame is between actions (label 0) or shows an action the model does not know are left out.
// Without --streams it writes `--count` recordings of frames/30 + 10 s with `indrnn data synth` to a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBodies } from '../src/data/bodies.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';
import { parsePreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { fixedRateIndices, gatherFrames } from '../src/data/sampling.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { STAGGERED_STATES, staggeredLogits } from '../src/predict/rate.js';
import { scriptArgs } from './script-args.js';

const { values } = scriptArgs({
  name: 'long-stream',
  about:
    "is a rate model's prediction as good after 10,000 frames of continuous, changing actions as on a fresh stream? Per-step accuracy by 1000-frame block, staggered states (the server's) against one carried state",
  options: {
    model: { type: 'string', default: 'models/ntu-synth-stream.onnx', arg: 'FILE', help: 'a rate-sampled model' },
    streams: {
      type: 'string',
      arg: 'DIR',
      help: 'synthetic streams (`indrnn data synth --streams`; default: written to a temp dir)',
    },
    count: { type: 'string', default: '4', arg: 'N', help: 'streams written without --streams' },
    frames: { type: 'string', default: '10000', arg: 'N', help: 'frames per stream' },
    seed: { type: 'string', default: '7', arg: 'S', help: 'their seed' },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
  },
  examples: ['node dist/scripts/long-stream.js --count 2 --frames 3000'],
});
const maxFrames = Number(values.frames);
const BLOCK = 1000;

const model = await IndrnnModel.load(values.model, { provider: 'cpu' });
const m = model.metadata;
if (m.sampling?.kind !== 'rate' || !m.preprocessing) {
  throw new Error(`${values.model}: needs a skeleton model with rate sampling (has ${JSON.stringify(m.sampling)})`);
}
const rate = m.sampling;
const srcFps = m.frame_rate ?? 30;
const preprocess = parsePreprocessConfig(m.preprocessing);
const D = m.input_size;
const K = m.num_outputs;
const labelOf = new Map(m.labels.map((l, i) => [l.ntuAction, i]));

let dir = values.streams;
let tmp: string | null = null;
if (!dir) {
  tmp = mkdtempSync(join(tmpdir(), 'indrnn-long-stream-'));
  const seconds = Math.ceil(maxFrames / srcFps) + 10;
  // Streams chain the model's own actions; synth also writes a tiny action set (1 subject), not used here.
  execFileSync(
    process.execPath,
    [
      'dist/src/cli.js',
      'data',
      'synth',
      '--out',
      tmp,
      '--seed',
      values.seed,
      '--subjects',
      '1',
      '--cameras',
      '1',
      '--replications',
      '1',
      '--actions',
      m.labels.map((l) => l.ntuAction).join(','),
      '--streams',
      values.count,
      '--stream-seconds',
      String(seconds),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  dir = join(tmp, 'streams');
}

interface Tally {
  right: number;
  total: number;
}
const blocks = Math.ceil(maxFrames / BLOCK);
const KEYS = ['staggered', 'carried', 'staggeredSettled', 'carriedSettled'] as const;
const tallies = Object.fromEntries(
  KEYS.map((k) => [k, Array.from({ length: blocks }, () => ({ right: 0, total: 0 }))]),
) as Record<(typeof KEYS)[number], Tally[]>;
/** Frames since the action began: "settled" = at least 1 s into it (the state has seen mostly this action). */
const SETTLED = srcFps;

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.skeleton'))
  .sort();
const t0 = performance.now();
for (const f of files) {
  const sel = selectBodies(readSkeletonFile(join(dir, f)), {
    bodies: preprocess.bodies,
    joints: 25,
    dropEmptyFrames: false,
  });
  const labels = readFileSync(join(dir, f.replace(/\.skeleton$/, '.labels')), 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const T = Math.min(sel.T, maxFrames, labels.length);
  const x = preprocessSequence(preprocess, sel.data.subarray(0, T * D), T);
  const idx = fixedRateIndices(T, srcFps, rate.fps);
  const steps = gatherFrames(x, D, idx);
  const n = idx.length;
  const staggered = await staggeredLogits(
    async (xs, Ts) => ({ logits: (await model.run(xs, Ts, 1)).logits, B: 1, b: 0 }),
    steps,
    n,
    D,
    K,
    rate,
    false,
  );
  const carried = (await model.run(steps, n, 1)).logits;
  const into = new Int32Array(T);
  for (let t = 1; t < T; t++) into[t] = labels[t] === labels[t - 1] ? into[t - 1] + 1 : 0;
  for (const [name, logits] of [
    ['staggered', staggered],
    ['carried', carried],
  ] as const) {
    for (let k = 0; k < n; k++) {
      const want = labelOf.get(labels[idx[k]]);
      if (want === undefined) continue; // between actions, or an action the model does not know
      let best = 0;
      for (let c = 1; c < K; c++) if (logits[k * K + c] > logits[k * K + best]) best = c;
      const block = Math.floor(idx[k] / BLOCK);
      const t = tallies[name][block];
      t.total++;
      if (best === want) t.right++;
      if (into[idx[k]] >= SETTLED) {
        const s = tallies[`${name}Settled`][block];
        s.total++;
        if (best === want) s.right++;
      }
    }
  }
}
await model.release();
if (tmp) rmSync(tmp, { recursive: true, force: true });

const acc = (t: Tally) => (t.total ? (100 * t.right) / t.total : Number.NaN);
const result = {
  model: values.model,
  sampling: rate,
  states: STAGGERED_STATES,
  streams: files.length,
  framesPerStream: maxFrames,
  seconds: (performance.now() - t0) / 1000,
  blocks: Array.from({ length: blocks }, (_, i) => ({
    frames: `${i * BLOCK}-${(i + 1) * BLOCK}`,
    steps: tallies.staggered[i].total,
    staggered: acc(tallies.staggered[i]),
    carried: acc(tallies.carried[i]),
    settledSteps: tallies.staggeredSettled[i].total,
    staggeredSettled: acc(tallies.staggeredSettled[i]),
    carriedSettled: acc(tallies.carriedSettled[i]),
  })),
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${values.model}: rate ${rate.fps} steps/s, window ${rate.window}, ${STAGGERED_STATES} staggered states; ${files.length} streams x ${maxFrames} frames (${result.seconds.toFixed(1)} s)`,
  );
  console.log(
    '| frames | labelled steps | staggered (server) | carried, never reset | steps >= 1 s into an action | staggered | carried |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const pc = (v: number) => `${v.toFixed(1)} %`;
  for (const b of result.blocks)
    console.log(
      `| ${b.frames} | ${b.steps} | ${pc(b.staggered)} | ${pc(b.carried)} | ${b.settledSteps} | ${pc(b.staggeredSettled)} | ${pc(b.carriedSettled)} |`,
    );
}
