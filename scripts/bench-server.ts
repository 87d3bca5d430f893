// HTTP serving throughput and latency of the action model (res-IndRNN 5 x 512, 60 classes, ntu25 joints,
// T = 20 frames, one body per request) at concurrency 1, 8 and 32: JSON and binary (application/octet-stream)
// bodies with dynamic batching, JSON without, next to direct in-process runs of the same session on the same
// (preprocessed) inputs, and the ideal: the same sequences 32 at a time in one run. The server runs as
// `indrnn serve` in a child process; autocannon drives it from this process (on the same cores). The mean
// batch is the server's own indrnn_batch_size histogram over the measured seconds. The floor rows are
// scripts/bare-serve.ts: node:http and the same batching and model.run with nothing else, the most any Node
// server can reach on this machine with this client.
// (--baseline DIR: also a server run from DIR/dist, e.g. an earlier commit built there, for before/after rows
// with JSON and binary bodies.
// --runners: the servers' --model-runner ('worker:N': N worker threads, --model-workers); the first serves every row, each other one adds a batching server
// with its JSON and binary rows beside the first's. --probe: during each server row, GET /healthz every
// 10 ms on its own connection; its p99 is how long a probe waits behind the model runs.)
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DEFAULT_BATCH } from '../src/host/batcher.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { percentile } from './percentile.js';
import { answerReason, describeRefusals, Refusals } from './refusals.js';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';
import { BENCH_J, benchSetup } from './server-bench-model.js';

const { values } = scriptArgs({
  name: 'bench-server',
  about:
    'HTTP serving throughput and latency of the action model at several concurrencies: JSON and binary bodies with and without batching, direct in-process runs, the ideal batch of 32, and the bare node:http floor',
  runAs: 'npm run bench:server --',
  options: {
    duration: { type: 'string', default: '6', arg: 'S', help: 'seconds measured per row' },
    connections: { type: 'string', default: '1,8,32', arg: 'LIST', help: 'concurrencies, comma-separated' },
    'max-batch': {
      type: 'string',
      default: String(DEFAULT_BATCH.maxBatch),
      arg: 'N',
      help: "the server's --max-batch",
    },
    'max-delay-ms': {
      type: 'string',
      default: String(DEFAULT_BATCH.maxDelayMs),
      arg: 'MS',
      help: "the server's --max-delay-ms",
    },
    'max-concurrent': { type: 'string', arg: 'N', help: "the server's --max-concurrent (default: its own)" },
    threads: {
      type: 'string',
      default: '0',
      arg: 'N',
      help: 'onnxruntime threads of the direct runs (0: one per core)',
    },
    'server-threads': { type: 'string', arg: 'N', help: "the server's --threads (default: --threads)" },
    baseline: {
      type: 'string',
      arg: 'DIR',
      help: 'also serve the build in DIR/dist (an earlier commit) for before/after rows',
    },
    rounds: { type: 'string', default: '1', arg: 'N', help: 'repeat every row N times, interleaved (a busy machine)' },
    'ideal-threads': {
      type: 'string',
      default: '1,0',
      arg: 'LIST',
      help: 'threads of the ideal-batch rows, comma-separated',
    },
    runners: {
      type: 'string',
      default: 'inline',
      arg: 'LIST',
      help: "the servers' --model-runner: inline, worker or worker:N, comma-separated",
    },
    probe: {
      type: 'boolean',
      default: false,
      help: 'GET /healthz every 10 ms during each server row (how long a probe waits)',
    },
    port: { type: 'string', default: '18080', arg: 'P', help: 'the first port used' },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
  },
  examples: ['npm run bench:server -- --duration 4 --connections 1,32 --rounds 2'],
});
const duration = Number(values.duration);
const connections = values.connections.split(',').map(Number);
const threads = Number(values.threads);
/** The server's onnxruntime threads (default: --threads, as the direct runs). */
const serverThreads = Number(values['server-threads'] ?? values.threads);
const [T, N_INPUTS] = [20, 64];
const { dir, bytes, jsonBodies, binaryBodies, inputs } = benchSetup(T, N_INPUTS);

interface Row {
  mode: string;
  connections: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  /** Server rows: the answers that were not 2xx and the failed connections, by the reason given. */
  refusals?: Record<string, number>;
  /** Server rows: sequences per model run. */
  meanBatch?: number;
  /** CPU time per sequence: the server process's (server rows) or this process's (the direct runs). */
  cpuMs: number;
  /** Server rows: this process's CPU time per request (autocannon, the client). */
  clientCpuMs?: number;
  /** Server rows with --probe: p99 of GET /healthz during the row (ms). */
  probeP99?: number;
}

/** GET /healthz every 10 ms until stop() (--probe): resolves with the latencies in ms. */
function probeHealth(port: number): { stop: () => Promise<number[]> } {
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/healthz`)).arrayBuffer();
      times.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return times.sort((a, b) => a - b);
    },
  };
}

/** c concurrent callers, each running one sequence at a time (B = 1) on one shared session. */
async function direct(model: IndrnnModel, c: number): Promise<Row> {
  for (let i = 0; i < 5; i++) await model.run(inputs[i], T, 1);
  const times: number[] = [];
  const cpu0 = cpuMs();
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
    cpuMs: (cpuMs() - cpu0) / Math.max(1, times.length),
  };
}

const runners = values.runners.split(',');

async function startServer(maxBatch: number, port: number, cwd?: string, runner = runners[0]): Promise<ChildProcess> {
  const args = ['--models', dir, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu'];
  if (!cwd) {
    const [kind, workers] = runner.split(':'); // 'worker:2': two worker threads, a session each
    args.push('--model-runner', kind);
    if (workers) args.push('--model-workers', workers);
  }
  args.push('--max-batch', String(maxBatch), '--max-delay-ms', values['max-delay-ms']);
  // Unless given, the server's default: one run at a time, or one per worker with --model-workers.
  if (values['max-concurrent']) args.push('--max-concurrent', values['max-concurrent']);
  args.push('--threads', String(serverThreads), '--log-level', 'warn');
  return startServeProcess(args, port, { cwd });
}

/** The server's own counters: its indrnn_batch_size histogram (sum, count) and CPU seconds. */
async function serverCounters(port: number): Promise<{ sum: number; count: number; cpu: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (series: string) => Number(new RegExp(`^${series}(\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[2] ?? 0);
  return {
    sum: read('indrnn_batch_size_sum'),
    count: read('indrnn_batch_size_count'),
    cpu: read('process_cpu_seconds_total'),
  };
}

/** CPU milliseconds this process has used. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** What a row sends: predict with JSON or binary bodies, or GET /healthz (the HTTP floor: no body, no model). */
type Body = 'json' | 'binary' | 'healthz';

/** Counts every answer that is not 2xx into `refusals`, by its status and the error body's code and message. */
const countRefusals = (refusals: Refusals) => (status: number, body: string) => {
  if (status >= 300) refusals.add(answerReason(status, body));
};

function requestsOf(body: Body, refusals: Refusals) {
  const onResponse = countRefusals(refusals);
  if (body === 'healthz') return [{ method: 'GET' as const, path: '/healthz', onResponse }];
  return (body === 'binary' ? binaryBodies : jsonBodies).map((b) => ({
    onResponse,
    method: 'POST' as const,
    path: '/v1/models/action/predict',
    headers:
      body === 'binary'
        ? { 'content-type': 'application/octet-stream', 'x-frames-shape': `${T},${BENCH_J},3` }
        : { 'content-type': 'application/json' },
    body: b,
  }));
}

async function load(mode: string, port: number, c: number, body: Body): Promise<Row> {
  const refusals = new Refusals();
  const warmup = {
    url: `http://127.0.0.1:${port}`,
    connections: c,
    duration: 1,
    requests: requestsOf(body, new Refusals()),
  };
  await autocannon(warmup);
  const opts = { ...warmup, duration, requests: requestsOf(body, refusals) };
  const before = await serverCounters(port);
  const client = cpuMs();
  const probe = values.probe ? probeHealth(port) : null;
  const r = await autocannon(opts);
  // Connections that failed or timed out got no answer to name a limit: counted as such.
  if (r.timeouts) refusals.add('timeout: no answer within 10 s', r.timeouts);
  if (r.errors > r.timeouts)
    refusals.add(
      'connection error, no answer (the server closes connections beyond --max-connections)',
      r.errors - r.timeouts,
    );
  const probeTimes = await probe?.stop();
  const n = Math.max(1, r.requests.total);
  const clientCpuMs = (cpuMs() - client) / n;
  const after = await serverCounters(port);
  const runs = after.count - before.count;
  return {
    mode,
    connections: c,
    rps: r.requests.total / duration,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    refusals: refusals.toJSON(),
    meanBatch: runs > 0 ? (after.sum - before.sum) / runs : undefined,
    cpuMs: (1000 * (after.cpu - before.cpu)) / n,
    clientCpuMs,
    probeP99: probeTimes?.length ? percentile(probeTimes, 99) : undefined,
  };
}

/** Ceiling: the same sequences 32 at a time in one run (what batching aims at). */
async function directBatch(model: IndrnnModel, B: number, label: string): Promise<Row> {
  const x = new Float32Array(T * B * 150);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) x.set(inputs[b].subarray(t * 150, (t + 1) * 150), (t * B + b) * 150);
  for (let i = 0; i < 3; i++) await model.run(x, T, B);
  const times: number[] = [];
  const cpu0 = cpuMs();
  const end = performance.now() + duration * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await model.run(x, T, B);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const rps = (times.length * B) / duration;
  return {
    mode: `direct model.run (B=${B} batch, ${label})`,
    connections: 1,
    rps,
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    errors: 0,
    cpuMs: (cpuMs() - cpu0) / Math.max(1, times.length * B),
  };
}

// Both servers stay up (idle when not driven); each concurrency level runs direct, batched (JSON and binary
// bodies) and unbatched back to back, so that they see the same background load.
const port = Number(values.port);
const batching = `max-batch ${values['max-batch']}, max-delay ${values['max-delay-ms']} ms, ${values['max-concurrent'] ?? 'default'} runs at a time`;
const runnerLabel = (runner: string) => (runners.length > 1 ? ` (${runner} runner)` : '');
const ON = `server${runnerLabel(runners[0])}, JSON, batching on (${batching})`;
const BINARY = `server${runnerLabel(runners[0])}, binary float32, batching on`;
const OFF = 'server, JSON, batching off (max-batch 1)';
const HEALTHZ = 'server, GET /healthz (no body, no model: the HTTP floor)';
const servers = [await startServer(Number(values['max-batch']), port), await startServer(1, port + 1)];
const FLOOR = 'bare node:http + model.run, binary, batching (scripts/bare-serve.ts: the floor)';
const FLOOR_EXPRESS = 'the floor behind Express 5 (one route, express.raw)';
const floorPort = port + 9;
/** The floor server on port p (scripts/bare-serve.ts), `extra` flags after. */
const startFloor = (p: number, ...extra: string[]) =>
  startServeProcess([join(dir, 'action.onnx'), String(p), '--threads', String(serverThreads), ...extra], p, {
    script: 'dist/scripts/bare-serve.js',
  });
servers.push(await startFloor(floorPort), await startFloor(floorPort + 1, '--express'));
// --baseline DIR: the same server built from another checkout (an earlier commit), JSON with batching on.
const BASELINE = `baseline server (${values.baseline}), JSON, batching on`;
const BASELINE_BINARY = `baseline server (${values.baseline}), binary float32, batching on`;
if (values.baseline) servers.push(await startServer(Number(values['max-batch']), port + 2, values.baseline));
// Each further --runners entry: a batching server on port + 3, + 4, ...
const others = runners.slice(1).map((runner, i) => ({ runner, port: port + 3 + i }));
for (const o of others) servers.push(await startServer(Number(values['max-batch']), o.port, undefined, o.runner));
const model = await IndrnnModel.fromBytes(bytes, 'action.onnx', { provider: 'cpu', threads });
// The ideal B = 32 run at each of --ideal-threads (0: one per core); ratios use the fastest in each round.
const threadsLabel = (n: number) => (n === 0 ? 'threads one per core' : `threads ${n}`);
const idealModels = await Promise.all(
  values['ideal-threads']
    .split(',')
    .map(Number)
    .map(async (n) => ({
      label: threadsLabel(n),
      model: n === threads ? model : await IndrnnModel.fromBytes(bytes, 'action.onnx', { provider: 'cpu', threads: n }),
    })),
);
// --rounds N: every row N times, interleaved; each row reports its medians, and its ratios are the medians of
// the ratios within each round (a busy machine's load changes between rows less than between rounds).
const rounds: Row[][] = [];
try {
  for (let k = 0; k < Number(values.rounds); k++) {
    const rows: Row[] = [];
    for (const c of connections) {
      rows.push(await direct(model, c));
      if (values.baseline) {
        rows.push(await load(BASELINE, port + 2, c, 'json'));
        rows.push(await load(BASELINE_BINARY, port + 2, c, 'binary'));
      }
      rows.push(await load(ON, port, c, 'json'));
      rows.push(await load(BINARY, port, c, 'binary'));
      for (const o of others) {
        rows.push(await load(`server${runnerLabel(o.runner)}, JSON, batching on`, o.port, c, 'json'));
        rows.push(await load(`server${runnerLabel(o.runner)}, binary float32, batching on`, o.port, c, 'binary'));
      }
      rows.push(await load(OFF, port + 1, c, 'json'));
      rows.push(await load(FLOOR, floorPort, c, 'binary'));
      rows.push(await load(FLOOR_EXPRESS, floorPort + 1, c, 'binary'));
      if (c === 1) rows.push(await load(HEALTHZ, port, c, 'healthz'));
    }
    for (const ideal of idealModels) rows.push(await directBatch(ideal.model, 32, ideal.label));
    rounds.push(rows);
  }
} finally {
  for (const m of new Set([model, ...idealModels.map((i) => i.model)])) await m.release();
  await Promise.all(servers.map(stopServeProcess));
  rmSync(dir, { recursive: true, force: true });
}

const isServer = (r: Row) => /^(server|baseline|bare|the floor)/.test(r.mode);
/** Row r's ratios to direct B=1 at its concurrency and to the ideal B=32 run, within one round. */
function ratios(rows: Row[], r: Row): { vsDirect: number; vsIdeal: number } {
  const directB1 = rows.find((d) => d.mode.startsWith('direct model.run (B=1)') && d.connections === r.connections);
  const ideal = rows
    .filter((d) => d.mode.startsWith('direct model.run (B=32'))
    .reduce<Row | undefined>((best, d) => (best && best.rps >= d.rps ? best : d), undefined);
  return {
    vsDirect: isServer(r) && directB1 ? r.rps / directB1.rps : Number.NaN,
    vsIdeal: (isServer(r) || r.mode.startsWith('direct model.run (B=1)')) && ideal ? r.rps / ideal.rps : Number.NaN,
  };
}
const median = (xs: number[]) => {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : Number.NaN;
};
const pct = (x: number) => (Number.isNaN(x) ? '' : `${Math.round(100 * x)} %`);
console.log(
  `res-IndRNN 5 x 512, T = ${T}, one body (ntu25) per request, ${duration} s per row, ${rounds.length} round(s) (medians), ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), onnxruntime threads: direct ${threads || 'one per core'}, server ${serverThreads || 'one per core'}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} at the end`,
);
console.log(
  `| mode | concurrency | sequences/s | p50 ms | p90 ms | p99 ms | errors | mean batch | CPU ms/seq (server or direct) | client CPU ms/req | vs direct B=1 | vs ideal B=32 |${values.probe ? ' /healthz p99 ms |' : ''}`,
);
console.log(
  `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${values.probe ? ' ---: |' : ''}`,
);
const summary = rounds[0].map((first, i) => {
  const of = (pick: (r: Row) => number | undefined) => median(rounds.map((rows) => pick(rows[i]) ?? Number.NaN));
  const row = {
    mode: first.mode,
    connections: first.connections,
    rps: of((r) => r.rps),
    p50: of((r) => r.p50),
    p90: of((r) => r.p90),
    p99: of((r) => r.p99),
    errors: rounds.reduce((n, rows) => n + rows[i].errors, 0),
    meanBatch: of((r) => r.meanBatch),
    cpuMs: of((r) => r.cpuMs),
    clientCpuMs: of((r) => r.clientCpuMs),
    probeP99: of((r) => r.probeP99),
    vsDirect: median(rounds.map((rows) => ratios(rows, rows[i]).vsDirect)),
    vsIdeal: median(rounds.map((rows) => ratios(rows, rows[i]).vsIdeal)),
  };
  const fixed = (x: number, digits: number) => (Number.isNaN(x) ? '' : x.toFixed(digits));
  console.log(
    `| ${row.mode} | ${row.connections} | ${fixed(row.rps, 0)} | ${fixed(row.p50, 2)} | ${fixed(row.p90, 2)} | ${fixed(row.p99, 2)} | ${row.errors} | ${fixed(row.meanBatch, 1)} | ${fixed(row.cpuMs, 2)} | ${fixed(row.clientCpuMs, 2)} | ${pct(row.vsDirect)} | ${pct(row.vsIdeal)} |${values.probe ? ` ${fixed(row.probeP99, 1)} |` : ''}`,
  );
  return row;
});
// Which limit refused what, per row and round (the errors column counts them).
rounds.forEach((rows, k) => {
  for (const r of rows) {
    const text = describeRefusals(r.refusals ?? {});
    if (text) console.log(`refused or failed (round ${k + 1}, ${r.mode}, concurrency ${r.connections}): ${text}`);
  }
});
if (values.json) console.log(JSON.stringify({ summary, rounds }));
