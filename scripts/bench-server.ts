// HTTP serving throughput and latency of the action model (res-IndRNN 5 x 512, 60 classes, ntu25 joints,
// T = 20 frames, one body per request) at concurrency 1, 8 and 32, with dynamic batching on and off,
// next to direct in-process runs of the same session on the same (preprocessed) inputs. The server runs
// as `indrnn serve` in a child process; autocannon drives it from this process (on the same cores).
// Usage: npm run bench:server [-- --duration S --connections 1,8,32 --max-batch N --max-delay-ms MS --max-concurrent N
//        --threads N --json]
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { defaultPreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { DEFAULT_BATCH } from '../src/host/batcher.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network } from '../src/nn/network.js';
import { buildOnnxModel } from '../src/onnx/export.js';
import { networkMetadata } from '../src/onnx/exporter.js';
import { foldNetwork } from '../src/onnx/fold.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { Rng } from '../src/util/rng.js';
import { ACTION_MODEL } from './action-model.js';
import { percentile } from './percentile.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '1,8,32' },
    'max-batch': { type: 'string', default: String(DEFAULT_BATCH.maxBatch) },
    'max-delay-ms': { type: 'string', default: String(DEFAULT_BATCH.maxDelayMs) },
    'max-concurrent': { type: 'string', default: String(DEFAULT_BATCH.maxConcurrent) },
    threads: { type: 'string', default: '0' },
    port: { type: 'string', default: '18080' },
    json: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = values.connections.split(',').map(Number);
const threads = Number(values.threads);
const [T, J, N_INPUTS] = [20, 25, 64];

// The model, with the metadata a skeleton export carries.
const config = { ...ACTION_MODEL, dropout: 0 };
const net = new Network(config, new ReferenceBackend());
net.store.initialize(new Rng(1));
const preprocess = defaultPreprocessConfig('ntu25', 2);
const bytes = buildOnnxModel(foldNetwork(config, net.store), {
  ...networkMetadata(config, {
    name: 'action',
    version: 'bench',
    labels: Array.from({ length: 60 }, (_, i) => ({ name: `action ${i + 1}`, ntuAction: i + 1 })),
    sourceCheckpoint: 'random',
  }),
  layout: 'ntu25',
  bodies: '2',
  joints: '25',
  preprocessing: JSON.stringify(preprocess),
  frame_rate: '30',
  window: '20',
});
const dir = mkdtempSync(join(tmpdir(), 'indrnn-bench-server-'));
writeFileSync(join(dir, 'action.onnx'), bytes);

// N_INPUTS different one-body sequences: request bodies, and the same sequences preprocessed for direct runs.
const rng = new Rng(2);
const sequences = Array.from({ length: N_INPUTS }, () =>
  Array.from({ length: T }, (_, t) =>
    Array.from({ length: J }, (_, j) => [
      0.3 * Math.sin(t / 3 + j) + rng.uniform(-0.05, 0.05),
      (j % 5) * 0.2 - 0.4,
      3 + rng.uniform(-0.05, 0.05),
    ]),
  ),
);
const bodies = sequences.map((frames) => JSON.stringify({ frames, topK: 5 }));
const inputs = sequences.map((frames) => {
  const raw = new Float32Array(T * 2 * J * 3);
  frames.forEach((f, t) => {
    f.forEach((p, j) => {
      raw.set(p, (t * 2 * J + j) * 3);
    });
  });
  return preprocessSequence(preprocess, raw, T);
});

interface Row {
  mode: string;
  connections: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

/** c concurrent callers, each running one sequence at a time (B = 1) on one shared session. */
async function direct(model: IndrnnModel, c: number): Promise<Row> {
  for (let i = 0; i < 5; i++) await model.run(inputs[i], T, 1);
  const times: number[] = [];
  const end = performance.now() + duration * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (performance.now() < end) {
        const x = inputs[next++ % N_INPUTS];
        const t0 = performance.now();
        await model.run(x, T, 1);
        times.push(performance.now() - t0);
      }
    }),
  );
  times.sort((a, b) => a - b);
  return {
    mode: 'direct model.run (B=1)',
    connections: c,
    rps: times.length / duration,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    errors: 0,
  };
}

async function startServer(maxBatch: number, port: number): Promise<ChildProcess> {
  const args = ['--models', dir, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu'];
  args.push(
    '--max-batch',
    String(maxBatch),
    '--max-delay-ms',
    values['max-delay-ms'],
    '--max-concurrent',
    values['max-concurrent'],
  );
  args.push('--threads', String(threads), '--log-level', 'warn');
  return startServeProcess(args, port);
}

async function load(mode: string, port: number, c: number): Promise<Row> {
  const opts = {
    url: `http://127.0.0.1:${port}`,
    connections: c,
    duration,
    requests: bodies.map((body) => ({
      method: 'POST' as const,
      path: '/v1/models/action/predict',
      headers: { 'content-type': 'application/json' },
      body,
    })),
  };
  await autocannon({ ...opts, duration: 1 }); // warm-up
  const r = await autocannon(opts);
  return {
    mode,
    connections: c,
    rps: r.requests.total / duration,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

/** Ceiling: the same sequences 32 at a time in one run (what batching aims at). */
async function directBatch(model: IndrnnModel, B: number): Promise<Row> {
  const x = new Float32Array(T * B * 150);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) x.set(inputs[b].subarray(t * 150, (t + 1) * 150), (t * B + b) * 150);
  for (let i = 0; i < 3; i++) await model.run(x, T, B);
  const times: number[] = [];
  const end = performance.now() + duration * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await model.run(x, T, B);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const rps = (times.length * B) / duration;
  return {
    mode: `direct model.run (B=${B} batch)`,
    connections: 1,
    rps,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    errors: 0,
  };
}

// Both servers stay up (idle when not driven); each concurrency level runs direct, batched and unbatched
// back to back, so that the three see the same background load.
const port = Number(values.port);
const ON = `server, batching on (max-batch ${values['max-batch']}, max-delay ${values['max-delay-ms']} ms, ${values['max-concurrent']} run at a time)`;
const OFF = 'server, batching off (max-batch 1)';
const servers = [await startServer(Number(values['max-batch']), port), await startServer(1, port + 1)];
const model = await IndrnnModel.fromBytes(bytes, 'action.onnx', { provider: 'cpu', threads });
const rows: Row[] = [];
try {
  for (const c of connections) {
    rows.push(await direct(model, c));
    rows.push(await load(ON, port, c));
    rows.push(await load(OFF, port + 1, c));
  }
  rows.push(await directBatch(model, 32));
} finally {
  await model.release();
  await Promise.all(servers.map(stopServeProcess));
  rmSync(dir, { recursive: true, force: true });
}

const directAt = (c: number) =>
  rows.find((r) => r.mode.startsWith('direct model.run (B=1)') && r.connections === c)?.rps ?? Number.NaN;
console.log(
  `res-IndRNN 5 x 512, T = ${T}, one body (ntu25) per request, ${duration} s per row, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
console.log('| mode | concurrency | sequences/s | p50 ms | p90 ms | p99 ms | errors | vs direct B=1 |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const ratio = r.mode.startsWith('server') ? `${Math.round((100 * r.rps) / directAt(r.connections))} %` : '';
  console.log(
    `| ${r.mode} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${ratio} |`,
  );
}
if (values.json) console.log(JSON.stringify(rows));
