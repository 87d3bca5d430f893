// Where a predict request's time goes inside `indrnn serve`: the server runs under `node --cpu-prof` while
// autocannon sends the bench:server requests one at a time (concurrency 1); the profile's samples are then
// charged to the stage of the request path they belong to (the first frame from the leaf up that names
// one: onnxruntime's run, JSON.parse under body-parser, zod, src/predict/input.ts, ...) and printed as
// microseconds per request.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';
import { benchSetup } from './server-bench-model.js';

const { values } = scriptArgs({
  name: 'profile-server',
  about:
    "where a predict request's time goes inside `indrnn serve`: the server under `node --cpu-prof`, bench:server's requests one at a time, the samples charged to the stages of the request path (microseconds per request)",
  runAs: 'npm run profile:server --',
  options: {
    duration: { type: 'string', default: '8', arg: 'S', help: 'seconds profiled' },
    connections: { type: 'string', default: '1', arg: 'N', help: 'concurrent requests' },
    format: { type: 'string', default: 'json', arg: 'json|binary', help: 'request bodies' },
    threads: { type: 'string', default: '0', arg: 'N', help: "the server's --threads (0: one per core)" },
    'max-batch': { type: 'string', default: '32', arg: 'N', help: "the server's --max-batch" },
    top: { type: 'string', default: '25', arg: 'N', help: 'the most expensive N functions listed' },
    port: { type: 'string', default: '18090', arg: 'P', help: "the server's port" },
    keep: { type: 'string', arg: 'DIR', help: 'keep the .cpuprofile in DIR' },
    baseline: { type: 'string', arg: 'DIR', help: 'profile the server built in DIR/dist (an earlier commit) instead' },
  },
  examples: ['npm run profile:server -- --duration 8 --format binary'],
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Stages of the request path, matched from a sample's leaf frame upwards; the first match takes it. */
const STAGES: [string, (f: ProfileNode['callFrame']) => boolean][] = [
  ['idle (waiting for the client)', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['model run (onnxruntime session.run)', (f) => f.url.includes('onnxruntime')],
  ['zod validation (request fields)', (f) => f.url.includes('/zod/')],
  ['frames: check + write (src/predict/input.ts)', (f) => f.url.includes('/predict/input.js')],
  ['frames: binary body (src/predict/binary-frames.ts)', (f) => f.url.includes('/predict/binary-frames.js')],
  ['preprocessing (src/data/preprocess.ts)', (f) => f.url.includes('/data/preprocess.js')],
  ['answer: logits -> labels (src/predict/result.ts)', (f) => f.url.includes('/predict/result.js')],
  ['batcher (src/host/batcher.ts)', (f) => f.url.includes('/host/batcher.js')],
  ['body read + JSON.parse (body-parser)', (f) => f.url.includes('body-parser') || f.url.includes('raw-body')],
  ['response: JSON.stringify + send (express)', (f) => f.url.includes('express/lib/response')],
  ['logging (pino)', (f) => f.url.includes('/pino')],
  ['metrics (prom-client)', (f) => f.url.includes('prom-client')],
  ['express routing + middleware', (f) => f.url.includes('/express/') || f.url.includes('/router/')],
  ['our middleware + route (src/serve)', (f) => f.url.includes('/src/serve/')],
  ['other project code (src/)', (f) => f.url.includes('/dist/src/')],
  ['node HTTP + sockets', (f) => /node:(_http|http|net|stream|internal\/(streams|http|stream_base))/.test(f.url)],
  ['other node internals', (f) => f.url.startsWith('node:')],
  ['native, unattributed ((program))', (f) => f.functionName === '(program)'],
];

/** Samples between from and to (µs on the monotonic clock the profile's timestamps use). */
function stageTimes(
  p: CpuProfile,
  from: number,
  to: number,
): { stages: Map<string, number>; functions: Map<string, number>; total: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    let stage = 'other';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      const hit = frame && STAGES.find(([, match]) => match(frame));
      if (hit) {
        stage = hit[0];
        break;
      }
    }
    stageOf.set(id, stage);
    return stage;
  };
  const stages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    at += us;
    if (at < from || at > to) return;
    total += us;
    const stage = resolve(id);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const f = byId.get(id)?.callFrame;
    const name = f
      ? `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*dist\//, '')}:${f.lineNumber + 1}`
      : '?';
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  return { stages, functions, total };
}

const T = 20;
const setup = benchSetup(T, 64);
const profDir = values.keep ?? mkdtempSync(join(tmpdir(), 'indrnn-profile-'));
const port = Number(values.port);
const binary = values.format === 'binary';
const server = await startServeProcess(
  [
    ...['--models', setup.dir, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu'],
    ...['--threads', values.threads, '--max-batch', values['max-batch'], '--log-level', 'warn'],
  ],
  port,
  { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`], cwd: values.baseline },
);
let requests = 0;
// The measured seconds on the monotonic clock (µs), which the profile's timestamps also use: start-up and
// warm-up samples are left out.
const window = { from: 0, to: 0 };
try {
  const opts = {
    url: `http://127.0.0.1:${port}`,
    connections: Number(values.connections),
    duration: Number(values.duration),
    requests: (binary ? setup.binaryBodies : setup.jsonBodies).map((body) => ({
      method: 'POST' as const,
      path: '/v1/models/action/predict',
      headers: binary
        ? { 'content-type': 'application/octet-stream', 'x-frames-shape': `${T},25,3` }
        : { 'content-type': 'application/json' },
      body,
    })),
  };
  const warm = await autocannon({ ...opts, duration: 1 }); // warm-up: not counted
  window.from = Number(process.hrtime.bigint() / 1000n);
  const r = await autocannon(opts);
  window.to = Number(process.hrtime.bigint() / 1000n);
  requests = r.requests.total;
  if (r.non2xx + r.errors + warm.non2xx + warm.errors > 0) throw new Error('some requests failed');
  console.log(
    `${values.format} bodies, concurrency ${values.connections}: ${(r.requests.total / Number(values.duration)).toFixed(0)} requests/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`,
  );
} finally {
  await stopServeProcess(server);
  rmSync(setup.dir, { recursive: true, force: true });
}

// The launcher (allocator re-exec) writes a profile too: the server's is the largest.
const file = readdirSync(profDir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort((a, b) => statSync(join(profDir, b)).size - statSync(join(profDir, a)).size)[0];
if (!file) throw new Error(`no .cpuprofile in ${profDir}`);
const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
if (!values.keep) rmSync(profDir, { recursive: true, force: true });
const { stages, functions, total } = stageTimes(profile, window.from, window.to);
const served = Math.max(1, requests);
console.log(`${(total / 1e6).toFixed(1)} s profiled, ${served} requests`);
console.log('| stage | µs per request | share of busy time |');
console.log('| --- | ---: | ---: |');
const idle = stages.get('idle (waiting for the client)') ?? 0;
for (const [stage, us] of [...stages].sort((a, b) => b[1] - a[1])) {
  const share = stage.startsWith('idle') ? '' : `${((100 * us) / (total - idle)).toFixed(1)} %`;
  console.log(`| ${stage} | ${(us / served).toFixed(0)} | ${share} |`);
}
console.log(`\nTop ${values.top} functions by self time (µs per request):`);
for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`${(us / served).toFixed(1).padStart(8)}  ${name}`);
