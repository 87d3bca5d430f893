// Training throughput of the authors' action-recognition res-IndRNN (5 blocks x 512, input 150,
// 60 classes, batch 128, T = 20) on random data, three ways in one run so that they see the same machine:
//   peer:   PyTorch CPU (scripts/bench-train-peer.py, same model and optimiser), --threads threads
//   before: one shard: products on onnxruntime's --threads threads, elementwise passes on this thread
//   after:  data-parallel shards (src/train/data-parallel.ts) on --threads threads, one core each
import { availableParallelism } from 'node:os';
import { Adam, defaultAdamOptions } from '../src/nn/adam.js';
import { type Backend, OrtBackend } from '../src/nn/backend.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import { Network } from '../src/nn/network.js';
import { type Seq, seq } from '../src/nn/seq.js';
import { ShardBackend } from '../src/nn/shard.js';
import { DataParallel } from '../src/train/data-parallel.js';
import { Rng } from '../src/util/rng.js';
import { ACTION_MODEL } from './action-model.js';
import { scriptArgs } from './script-args.js';
import { runTorchPeer } from './torch-peer.js';

const { values } = scriptArgs({
  name: 'bench-train',
  about:
    "training throughput of the authors' action-recognition res-IndRNN (5 x 512, batch 128, T = 20) on random data: PyTorch CPU, one shard, and data-parallel shards, in one run",
  runAs: 'npm run bench:train --',
  options: {
    steps: { type: 'string', default: '10', arg: 'N', help: 'timed steps' },
    warmup: { type: 'string', default: '2', arg: 'N', help: 'untimed steps first' },
    threads: { type: 'string', default: '0', arg: 'N', help: 'threads (0: one per core)' },
    batch: { type: 'string', default: '128', arg: 'N', help: 'sequences per step' },
    rounds: { type: 'string', default: '1', arg: 'N', help: 'repeat the three ways N times, interleaved' },
    python: { type: 'string', default: '/usr/bin/python3', arg: 'PATH', help: 'the Python with PyTorch for the peer' },
    'no-peer': { type: 'boolean', default: false, help: 'skip the PyTorch peer' },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
  },
  examples: ['npm run bench:train -- --steps 5 --threads 2 --no-peer'],
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const B = Number(values.batch);
const threads = Number(values.threads) || availableParallelism();
const rounds = Number(values.rounds);
const T = 20;
const K = ACTION_MODEL.numOutputs;
const I = ACTION_MODEL.inputSize;

interface Measured {
  samplesPerSec: number;
  msPerStep: number;
  /**
   * ms per step: forward + backward, optimiser (the parallel path: its part on this thread, with the
   * gradient sum), and (this thread's) products, onnxruntime reductions and waits at BN barriers.
   */
  split: { passes: number; optimiser: number; gemm: number; ortElementwise: number; waiting: number };
  gemmCallsPerStep: number;
}

const rng = new Rng(1);
const x = seq(rng.fillNormal(new Float32Array(T * B * I), 0, 1), T, B, I);
const labels = Int32Array.from({ length: B }, () => rng.int(K));

/** Time spent since the last call in the optimiser and (data-parallel) waiting at BN barriers, ms. */
type TakeTimes = () => { optimiserMs: number; waitedMs: number };

/** Times `steps` training steps (after `warmup`); `step` runs one, `take` says where its time went. */
async function timeSteps(stats: Backend, step: (i: number) => Promise<void>, take: TakeTimes): Promise<Measured> {
  for (let i = 0; i < warmup; i++) await step(i);
  stats.resetStats();
  take();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step(warmup + i);
  const wallMs = performance.now() - start;
  const { optimiserMs, waitedMs } = take();
  return {
    samplesPerSec: (steps * B * 1000) / wallMs,
    msPerStep: wallMs / steps,
    split: {
      passes: (wallMs - optimiserMs) / steps,
      optimiser: optimiserMs / steps,
      gemm: stats.stats.gemm.ms / steps,
      ortElementwise: stats.stats.elementwise.ms / steps,
      waiting: waitedMs / steps,
    },
    gemmCallsPerStep: stats.stats.gemm.calls / steps,
  };
}

const lossOf = (logits: Seq) => softmaxCrossEntropy(logits.data, labels, B, K);

/** Before: the whole batch on this thread's elementwise passes, products on `threads` onnxruntime threads. */
async function before(): Promise<Measured> {
  const mm = new OrtBackend(threads);
  const net = new Network(ACTION_MODEL, mm);
  net.store.initialize(new Rng(1));
  const adam = new Adam(net.store, { ...defaultAdamOptions, lr: 2e-4 });
  let optimiserMs = 0;
  try {
    const step = async (i: number) => {
      net.store.zeroGrad();
      const logits = await net.forward(x, { training: true, rng: new Rng(2, i) });
      await net.backward(seq(lossOf(logits).grad, 1, B, K));
      const t0 = performance.now();
      adam.step();
      net.clipRecurrentWeights();
      optimiserMs += performance.now() - t0;
    };
    return await timeSteps(mm, step, () => {
      const times = { optimiserMs, waitedMs: 0 };
      optimiserMs = 0;
      return times;
    });
  } finally {
    await mm.release();
  }
}

/** After: data-parallel shards, one per thread, each with one onnxruntime thread. */
async function after(): Promise<Measured> {
  const trainBackend = new OrtBackend(1);
  const backend = new ShardBackend(trainBackend);
  const net = new Network(ACTION_MODEL, backend);
  net.store.initialize(new Rng(1));
  const parallel = new DataParallel(net, backend, { shards: Math.max(2, threads), threads, trainBackend });
  const adam = new Adam(net.store, { ...defaultAdamOptions, lr: 2e-4 }, parallel.sharesOptimiser);
  try {
    const step = async (i: number) => {
      await parallel.trainStep(x, [2, i], lossOf, adam);
      net.clipRecurrentWeights();
    };
    return await timeSteps(trainBackend, step, () => parallel.takeTimings());
  } finally {
    await parallel.close();
    await trainBackend.release();
  }
}

interface PeerResult {
  samplesPerSec: number;
  msPerStep: number;
  torch: string;
  threads: number;
}

function peer(): PeerResult | { error: string } {
  const args = ['--steps', String(steps), '--warmup', String(warmup), '--batch', String(B)];
  return runTorchPeer<PeerResult>(values.python, args, threads);
}

/** Median (the mean of the middle two for an even count). */
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const results: { peer?: PeerResult | { error: string }; before: Measured; after: Measured }[] = [];
for (let r = 0; r < rounds; r++) {
  const p = values['no-peer'] ? undefined : peer();
  results.push({ peer: p, before: await before(), after: await after() });
}
const last = results[results.length - 1];
const peerRates = results.flatMap((r) => (r.peer && 'samplesPerSec' in r.peer ? [r.peer.samplesPerSec] : []));
const beforeRate = median(results.map((r) => r.before.samplesPerSec));
const afterRate = median(results.map((r) => r.after.samplesPerSec));
const peerRate = peerRates.length > 0 ? median(peerRates) : Number.NaN;

// Ratios within each round (the three measured back to back), then their median: the machine's load
// changes between rounds more than between the runs of one round.
const afterVsBefore = median(results.map((r) => r.after.samplesPerSec / r.before.samplesPerSec));
const perRound = results.map((r, i) => {
  const p = r.peer && 'samplesPerSec' in r.peer ? r.peer.samplesPerSec : Number.NaN;
  return `round ${i + 1}: peer ${p.toFixed(0)}, before ${r.before.samplesPerSec.toFixed(0)}, after ${r.after.samplesPerSec.toFixed(0)}`;
});
const vsPeer = (pick: (r: (typeof results)[number]) => number) =>
  median(results.flatMap((r) => (r.peer && 'samplesPerSec' in r.peer ? [pick(r) / r.peer.samplesPerSec] : [])));
const afterVsPeer = vsPeer((r) => r.after.samplesPerSec);
const beforeVsPeer = vsPeer((r) => r.before.samplesPerSec);
const fmtSplit = (m: Measured) => {
  const s = m.split;
  const js = s.passes - s.gemm - s.ortElementwise - s.waiting;
  const wait = s.waiting > 0 ? `, waiting at BN barriers ${s.waiting.toFixed(0)}` : '';
  const parts = `products ${s.gemm.toFixed(0)}, onnxruntime reductions/adds ${s.ortElementwise.toFixed(0)}${wait}`;
  return `fwd+bwd ${s.passes.toFixed(0)} (${parts}, JS elementwise and the rest ${js.toFixed(0)}), optimiser ${s.optimiser.toFixed(0)} ms`;
};
const rows: [string, string][] = [
  ['model', `res-IndRNN 5 x 512, I=${I}, K=${K}, T=${T}, B=${B} (${ACTION_MODEL.depth} blocks)`],
  [
    'threads',
    `${threads} (of ${availableParallelism()} cores); rounds ${rounds}; ${steps} steps after ${warmup} warm-up`,
  ],
  ['before: ms / step', `${last.before.msPerStep.toFixed(0)}: ${fmtSplit(last.before)}`],
  ['after: ms / step', `${last.after.msPerStep.toFixed(0)}: ${fmtSplit(last.after)} (shard 0's thread)`],
  [
    'samples/s before / after (medians)',
    `${beforeRate.toFixed(0)} / ${afterRate.toFixed(0)} (after / before ${afterVsBefore.toFixed(2)}x, median of rounds)`,
  ],
  ['samples/s per round', perRound.join('; ')],
  [
    'samples/s PyTorch CPU (same run)',
    Number.isNaN(peerRate)
      ? String((last.peer as { error?: string } | undefined)?.error ?? 'not run (--no-peer)')
      : `${peerRate.toFixed(0)} (torch ${(last.peer as PeerResult).torch}, ${(last.peer as PeerResult).threads} threads)`,
  ],
  [
    'ratio ours / PyTorch (median of rounds)',
    Number.isNaN(peerRate) ? '-' : `before ${beforeVsPeer.toFixed(2)}x, after ${afterVsPeer.toFixed(2)}x`,
  ],
];
const width = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
if (values.json) {
  const summary = { threads, batch: B, T, steps, rounds, beforeRate, afterRate, peerRate, afterVsBefore };
  console.log(JSON.stringify({ ...summary, afterVsPeer, beforeVsPeer, results }));
}
