// CPU latency of the exported res-IndRNN (5 blocks x 512, input 150, 60 classes) against PyTorch CPU on the
// same network in the same run (scripts/bench-train-peer.py --infer, where a Python with torch is found),
// else against the PyTorch figures recorded in docs/design.md, said so.
// Usage: npm run bench:infer [-- --runs N --threads N --python PATH --no-peer --json]
import { availableParallelism } from 'node:os';
import { foldNetwork } from '../src/export/fold.js';
import { buildOnnxModel } from '../src/export/loop-graph.js';
import { networkMetadata } from '../src/export/network-to-onnx.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network } from '../src/nn/network.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { Rng } from '../src/util/rng.js';
import { ACTION_MODEL } from './action-model.js';
import { percentile } from './percentile.js';
import { scriptArgs } from './script-args.js';
import { runTorchPeer } from './torch-peer.js';

const RECORDED_PYTORCH_MS = { T20_B1_ms: 4.4, T20_B64_ms: 83, T300_B1_ms: 30 }; // PyTorch 1.13 CPU, 2 threads (docs/design.md)
type Cases = typeof RECORDED_PYTORCH_MS;

const { values } = scriptArgs({
  name: 'bench-infer',
  about:
    'CPU latency of the exported res-IndRNN (5 blocks x 512, input 150, 60 classes) against the PyTorch CPU figures in docs/design.md',
  runAs: 'npm run bench:infer --',
  options: {
    runs: { type: 'string', default: '50', arg: 'N', help: 'timed runs per batch size' },
    threads: { type: 'string', default: '0', arg: 'N', help: 'onnxruntime intra-op threads (0: one per core)' },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
    python: { type: 'string', default: '/usr/bin/python3', arg: 'PATH', help: 'the Python with PyTorch for the peer' },
    'no-peer': { type: 'boolean', default: false, help: "compare with the recorded PyTorch figures, not this run's" },
  },
  examples: ['npm run bench:infer -- --runs 20 --threads 2'],
});
const runs = Number(values.runs);

const config = { ...ACTION_MODEL, dropout: 0 };
const net = new Network(config, new ReferenceBackend());
net.store.initialize(new Rng(1));
const bytes = buildOnnxModel(
  foldNetwork(config, net.store),
  networkMetadata(config, {
    name: 'bench',
    contract: { task_kind: 'classification', labels: Array.from({ length: 60 }, (_, i) => ({ name: `a${i}` })) },
    sourceCheckpoint: 'random',
  }),
);
const model = await IndrnnModel.fromBytes(bytes, 'bench.onnx', { provider: 'cpu', threads: Number(values.threads) });

async function latency(T: number, B: number): Promise<number> {
  const x = new Rng(2).fillNormal(new Float32Array(T * B * 150), 0, 1);
  for (let i = 0; i < 5; i++) await model.run(x, T, B);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await model.run(x, T, B);
    times.push(performance.now() - t0);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

const result = {
  T20_B1_ms: await latency(20, 1),
  T20_B64_ms: await latency(20, 64),
  T300_B1_ms: await latency(300, 1),
};
/** PyTorch on the same network and cases, now (its threads as ours, or one per core for 0), or why not. */
function peer(): { ms: Cases; torch: string } | { error: string } {
  const threads = Number(values.threads) || availableParallelism();
  const out = runTorchPeer<Cases & { torch: string }>(values.python, ['--infer', '--runs', String(runs)], threads);
  if ('error' in out) return out;
  return { ms: { T20_B1_ms: out.T20_B1_ms, T20_B64_ms: out.T20_B64_ms, T300_B1_ms: out.T300_B1_ms }, torch: out.torch };
}

const measured = values['no-peer'] ? null : peer();
const same = measured && 'ms' in measured ? measured : null;
const pytorch = same ? same.ms : RECORDED_PYTORCH_MS;
console.log(`res-IndRNN 5 x 512 (${bytes.length} bytes ONNX), onnxruntime CPU, median of ${runs} runs`);
console.log(
  same
    ? `PyTorch ${same.torch}: the same network, eval mode, measured in this run`
    : `PyTorch: the figures recorded in docs/design.md (another day and machine)${measured && 'error' in measured ? `; the peer did not run: ${measured.error}` : ''}`,
);
console.log('case          ours (ms)  PyTorch (ms)  speed-up');
for (const key of Object.keys(result) as (keyof Cases)[]) {
  const ours = result[key];
  console.log(
    `${key.replace('_ms', '').padEnd(12)}  ${ours.toFixed(2).padStart(9)}  ${pytorch[key].toFixed(1).padStart(12)}  ${(pytorch[key] / ours).toFixed(1).padStart(7)}x`,
  );
}
await model.release();
if (values.json) console.log(JSON.stringify({ ...result, pytorch, pytorchMeasured: same !== null }));
