// Training throughput of the authors' action-recognition res-IndRNN (5 blocks x 512, input 150,
// 60 classes, batch 128, T = 20) on random data, against the PyTorch CPU figure from docs/design.md.
// Usage: npm run bench:train [-- --steps N --warmup N --threads N --json]
import { parseArgs } from 'node:util';
import { Adam, defaultAdamOptions } from '../src/nn/adam.js';
import { OrtBackend } from '../src/nn/backend.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import { Network } from '../src/nn/network.js';
import { seq } from '../src/nn/seq.js';
import { Rng } from '../src/util/rng.js';
import { ACTION_MODEL } from './action-model.js';

const PYTORCH_SAMPLES_PER_SEC = 240; // PyTorch 1.13 CPU, 2 threads, same model (docs/design.md)

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '0' },
    batch: { type: 'string', default: '128' },
    json: { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const B = Number(values.batch);
const T = 20;

const config = ACTION_MODEL;

const mm = new OrtBackend(Number(values.threads));
const net = new Network(config, mm);
const rng = new Rng(1);
net.store.initialize(rng);
const adam = new Adam(net.store, { ...defaultAdamOptions, lr: 2e-4 });
const x = seq(rng.fillNormal(new Float32Array(T * B * 150), 0, 1), T, B, 150);
const labels = Int32Array.from({ length: B }, () => rng.int(60));

async function trainStep(step: number): Promise<{ forwardMs: number; backwardMs: number; optimMs: number }> {
  const t0 = performance.now();
  net.store.zeroGrad();
  const logits = await net.forward(x, { training: true, rng: new Rng(2, step) });
  const loss = softmaxCrossEntropy(logits.data, labels, B, 60);
  const t1 = performance.now();
  await net.backward(seq(loss.grad, 1, B, 60));
  const t2 = performance.now();
  adam.step();
  net.clipRecurrentWeights();
  const t3 = performance.now();
  return { forwardMs: t1 - t0, backwardMs: t2 - t1, optimMs: t3 - t2 };
}

for (let i = 0; i < warmup; i++) await trainStep(i);
mm.resetStats();
const totals = { forwardMs: 0, backwardMs: 0, optimMs: 0 };
const start = performance.now();
for (let i = 0; i < steps; i++) {
  const r = await trainStep(warmup + i);
  totals.forwardMs += r.forwardMs;
  totals.backwardMs += r.backwardMs;
  totals.optimMs += r.optimMs;
}
const wallMs = performance.now() - start;
const samplesPerSec = (steps * B * 1000) / wallMs;
const { gemm, elementwise } = mm.stats;
const matmulShare = gemm.ms / wallMs;
const ortElementwiseShare = elementwise.ms / wallMs;
const gflops = gemm.flops / gemm.ms / 1e6;

const rows: [string, string][] = [
  ['model', `res-IndRNN 5 x 512, I=150, K=60, T=${T}, B=${B} (${net.store.trainableCount()} parameters)`],
  ['steps timed', `${steps} (after ${warmup} warm-up)`],
  ['ms / step', (wallMs / steps).toFixed(1)],
  [
    '  forward / backward / optimiser',
    `${(totals.forwardMs / steps).toFixed(1)} / ${(totals.backwardMs / steps).toFixed(1)} / ${(totals.optimMs / steps).toFixed(1)} ms`,
  ],
  [
    'matrix products (onnxruntime)',
    `${(matmulShare * 100).toFixed(1)} % of time (${gemm.calls / steps} calls/step, ${gflops.toFixed(0)} GFLOP/s)`,
  ],
  [
    'elementwise: reductions, adds (onnxruntime)',
    `${(ortElementwiseShare * 100).toFixed(1)} % of time (${elementwise.calls / steps} calls/step)`,
  ],
  [
    'elementwise: recurrence, BN, dropout (JS) + other',
    `${((1 - matmulShare - ortElementwiseShare) * 100).toFixed(1)} % of time`,
  ],
  ['samples/s (ours)', samplesPerSec.toFixed(0)],
  ['samples/s (PyTorch CPU, docs/design.md)', String(PYTORCH_SAMPLES_PER_SEC)],
  ['ratio ours / PyTorch', `${(samplesPerSec / PYTORCH_SAMPLES_PER_SEC).toFixed(2)}x`],
];
const width = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
await mm.release();
if (values.json) {
  console.log(
    JSON.stringify({
      samplesPerSec,
      msPerStep: wallMs / steps,
      matmulShare,
      elementwiseShare: 1 - matmulShare,
      matmulGflops: gflops,
      pytorchSamplesPerSec: PYTORCH_SAMPLES_PER_SEC,
      ratio: samplesPerSec / PYTORCH_SAMPLES_PER_SEC,
      batch: B,
      T,
    }),
  );
}
