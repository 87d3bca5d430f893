// WebSocket streaming benchmark: N concurrent streams, each sending one skeleton frame every 1/30 s (JSON,
// 25 joints, one body), against `indrnn serve` in a child process; this process is the clients (on the
// same cores). Per-frame latency is measured by the clients (frame sent -> its prediction received) and by
// the server (arrival -> prediction sent, the indrnn_stream_frame_latency_seconds histogram; bucket bounds).
// "Sustained" = no dropped frame or connection, every prediction in within 1 s of the run's end, and a
// median latency under one frame period (the server keeps pace; a backlog would grow into queue_full).
//
// The model: models/ntu-synth-stream.onnx when it exists (rate sampling), the detection model
// models/pku-mmd-detect.onnx when it exists (rate sampling, and the decision rule at every step), and the shipped default model
// models/ntu-synth.onnx, which is segment-sampled (not streamable as such): the benchmark serves copies of
// its weights as 'frames' (every frame a model step, 1 state) and as 'rate' (fps 10, window 30: 3 staggered
// states, a step every 3rd frame), which is what streaming costs for the default architecture.
// Each N opens N new connections at once and streams for --warmup s (default 1) before the --duration s that
// are measured: the first frames after a burst of connects are a one-off (new connections, the first runs
// of each batch size), not the sustained latency.
import { type ChildProcess, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { onnx, parseModel } from '../src/util/onnx-graph.js';
import { Rng } from '../src/util/rng.js';
import { postJob, synthTakes, waitForJob } from './job-takes.js';
import { percentile } from './percentile.js';
import { connectionErrorReason, describeRefusals, Refusals, upgradeRefusalReason } from './refusals.js';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const { values } = scriptArgs({
  name: 'bench-stream',
  about:
    'WebSocket streaming benchmark: N concurrent streams, each sending a skeleton frame every 1/fps s, against `indrnn serve`; per-frame latency from the clients and the server, and the most streams sustained',
  runAs: 'npm run bench:stream --',
  options: {
    streams: {
      type: 'string',
      default: '50,100,150,200,300',
      arg: 'LIST',
      help: 'numbers of concurrent streams, comma-separated',
    },
    duration: { type: 'string', default: '5', arg: 'S', help: 'seconds measured per row' },
    warmup: { type: 'string', default: '1', arg: 'S', help: 'seconds streamed before measuring' },
    fps: { type: 'string', default: '30', arg: 'N', help: "each stream's frames per second" },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'where the models are' },
    only: { type: 'string', arg: 'MODEL', help: 'only this model (default: every one measured)' },
    binary: { type: 'boolean', default: false, help: 'send binary float32 frames instead of JSON' },
    port: { type: 'string', default: '18090', arg: 'P', help: "the server's port" },
    threads: {
      type: 'string',
      default: '',
      arg: 'N',
      help: "the server's --threads (0: one per core; not given: the server's default, 1 with --job's --training)",
    },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
    baseline: {
      type: 'string',
      arg: 'DIR',
      help: 'serve the build in DIR/dist (an earlier commit) instead of this one, for before/after runs',
    },
    'cpu-prof': { type: 'string', arg: 'DIR', help: "write the server's CPU profile (node --cpu-prof) into DIR" },
    job: {
      type: 'boolean',
      default: false,
      help: 'serve with --training and measure each N again while a training job runs (its ratio to the row without)',
    },
  },
  examples: [
    'npm run bench:stream -- --streams 50,100 --duration 5 --only ntu-synth-stream',
    'npm run bench:stream -- --streams 100 --only ntu-synth-stream --job',
  ],
});
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const fps = Number(values.fps);
const counts = values.streams.split(',').map(Number);
const port = Number(values.port);
const J = 25;

/** A copy of a model file with metadata entries replaced (null: removed). */
function withMetadata(bytes: Uint8Array, set: Record<string, string | null>): Uint8Array {
  const m = parseModel(bytes);
  const props = (m.metadataProps ?? []).filter((p) => !((p.key ?? '') in set));
  for (const [key, value] of Object.entries(set)) if (value !== null) props.push({ key, value } as any);
  m.metadataProps = props as any;
  return onnx.ModelProto.encode(m).finish();
}

const dir = mkdtempSync(join(tmpdir(), 'indrnn-bench-stream-'));
const variants: { name: string; what: string }[] = [];
const streamFile = join(values.models, 'ntu-synth-stream.onnx');
if (existsSync(streamFile)) {
  writeFileSync(join(dir, 'stream.onnx'), withMetadata(readFileSync(streamFile), { name: 'bench-stream' }));
  variants.push({ name: 'bench-stream', what: 'models/ntu-synth-stream.onnx (as shipped)' });
}
const detectFile = join(values.models, 'pku-mmd-detect.onnx');
if (existsSync(detectFile)) {
  writeFileSync(join(dir, 'detect.onnx'), withMetadata(readFileSync(detectFile), { name: 'bench-detect' }));
  variants.push({ name: 'bench-detect', what: 'models/pku-mmd-detect.onnx (detection: decision rule, action events)' });
}
const defaultFile = join(values.models, 'ntu-synth.onnx');
if (existsSync(defaultFile)) {
  const bytes = readFileSync(defaultFile);
  writeFileSync(join(dir, 'frames.onnx'), withMetadata(bytes, { name: 'bench-frames', sampling: null }));
  writeFileSync(
    join(dir, 'rate.onnx'),
    withMetadata(bytes, { name: 'bench-rate', sampling: JSON.stringify({ kind: 'rate', fps: 10, window: 30 }) }),
  );
  variants.push({ name: 'bench-frames', what: 'ntu-synth.onnx weights, every frame a step (1 state)' });
  variants.push({ name: 'bench-rate', what: 'ntu-synth.onnx weights, rate 10 fps, window 30 (3 states)' });
}
const selected = values.only ? variants.filter((v) => v.name === values.only) : variants;
if (selected.length === 0) throw new Error(`no model to benchmark in ${values.models}`);

// 90 frames of a moving one-body skeleton, as JSON messages and as binary (2 bodies x 25 joints x 3 float32).
const rng = new Rng(3);
const frames = Array.from({ length: 90 }, (_, t) =>
  Array.from({ length: J }, (_, j) => [
    0.3 * Math.sin(t / 5 + j) + rng.uniform(-0.02, 0.02),
    (j % 5) * 0.2 - 0.4 + 0.1 * Math.cos(t / 7),
    3 + rng.uniform(-0.02, 0.02),
  ]),
);
const jsonMsgs = frames.map((f) => JSON.stringify({ type: 'frames', frames: [f] }));
const binMsgs = frames.map((f) => {
  const b = Buffer.alloc(2 * J * 3 * 4);
  f.flat().forEach((v, i) => {
    b.writeFloatLE(v, i * 4);
  });
  return b;
});

function startServer(): Promise<ChildProcess> {
  const args = ['--models', dir, '--host', '127.0.0.1', '--port', String(port)];
  args.push('--device', 'cpu', '--log-level', 'warn');
  if (values.threads !== '') args.push('--threads', values.threads);
  if (values.job) args.push('--training');
  const nodeArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  return startServeProcess(args, port, { nodeArgs, cwd: values.baseline });
}

/** Cumulative histogram buckets of the server's stream latency for a model. */
async function serverHistogram(model: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  const re = new RegExp(`indrnn_stream_frame_latency_seconds_bucket\\{le="([^"]+)",model="${model}"\\} (\\d+)`, 'g');
  for (const m of text.matchAll(re)) out.set(m[1], Number(m[2]));
  const rows = new RegExp(`indrnn_stream_batch_rows_(sum|count)\\{model="${model}"\\} ([\\d.e+]+)`, 'g');
  for (const m of text.matchAll(rows)) out.set(`rows_${m[1]}`, Number(m[2]));
  const processMetric = (name: string) =>
    Number(new RegExp(`^process_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  out.set('rows_cpu', processMetric('cpu_seconds_total'));
  out.set('rows_rss', processMetric('resident_memory_bytes'));
  return out;
}

/** The bucket bound below which p% of the observations between two snapshots fall (ms). */
function bucketQuantile(a: Map<string, number>, b: Map<string, number>, p: number): string {
  const les = [...b.keys()].filter((k) => !k.startsWith('rows_'));
  const total = (b.get('+Inf') ?? 0) - (a.get('+Inf') ?? 0);
  for (const le of les) {
    if ((b.get(le) ?? 0) - (a.get(le) ?? 0) >= (p / 100) * total)
      return le === '+Inf' ? '>1000' : `<=${Number(le) * 1000}`;
  }
  return '?';
}

interface Row {
  model: string;
  streams: number;
  offered: number;
  predicted: number;
  clientP50: number;
  clientP99: number;
  clientMax: number;
  serverP50: string;
  serverP99: string;
  rowsPerRun: number;
  /** CPU time per frame sent, over the warm-up and the measured seconds: the server's and this process's (the clients). */
  serverCpuUs: number;
  clientCpuUs: number;
  /** The server's resident memory while the N streams are open (compare rows for the cost per stream). */
  rssMb: number;
  dropped: number;
  closed: number;
  /** Streams the server refused to open, and what it closed or refused later, by the limit it named. */
  refused: number;
  refusals: Record<string, number>;
  sustained: boolean;
  load: string;
  /** --job: the training job's state at the row's end (running: it ran throughout); absent: no job. */
  job?: string;
}

async function run(model: string, n: number): Promise<Row> {
  const url = `ws://127.0.0.1:${port}/v1/models/${model}/stream`;
  const lat: number[] = [];
  let expected = 0;
  let received = 0;
  let closed = 0;
  let measuring = false;
  let measureFrom = Number.POSITIVE_INFINITY; // frames sent from then on are measured (after the warm-up)
  const refusals = new Refusals();
  let sentTotal = 0; // frames sent, warm-up included
  // A stream the server refuses (an upgrade answered 503 too_many_streams, a connection closed unanswered)
  // is counted with its reason and left out; the others stream.
  const opened = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<{ ws: WebSocket; sent: number[]; stepRate: number | null } | null>((resolve) => {
          const ws = new WebSocket(url, { perMessageDeflate: false });
          const c = { ws, sent: [] as number[], stepRate: null as number | null };
          let ready = false;
          let refused = false;
          ws.on('unexpected-response', (_req, res) => {
            refused = true;
            void upgradeRefusalReason(res).then((reason) => {
              refusals.add(`refused: ${reason}`);
              resolve(null);
            });
          });
          ws.on('message', (data) => {
            const m = JSON.parse(String(data));
            if (m.type === 'ready') {
              ready = true;
              c.stepRate = m.stepRate;
              resolve(c);
            } else if (m.type === 'prediction') {
              if (measuring && c.sent[m.frame] >= measureFrom) {
                lat.push(performance.now() - c.sent[m.frame]);
                received++;
              }
            } else if (m.type === 'error') refusals.add(`error message: ${m.code}: ${m.message}`);
          });
          ws.on('close', (code, reason) => {
            if (measuring) closed++;
            if (ready && code !== 1000 && code !== 1005)
              refusals.add(`closed ${code} ${reason.toString() || '(no reason)'}`);
          });
          ws.on('error', (err) => {
            if (ready || refused) return; // its close follows, or its answer was counted
            refused = true;
            refusals.add(connectionErrorReason(err));
            resolve(null);
          });
        }),
    ),
  );
  const sockets = opened.filter((c) => c !== null);
  const refused = n - sockets.length;
  // The server's histogram counts the warm-up too (a /metrics scrape inside the measured time would be a stall).
  const before = await serverHistogram(model);
  const clientCpu = process.cpuUsage();
  const period = 1000 / fps;
  const t0 = performance.now() + 50;
  measureFrom = t0 + warmup * 1000;
  const end = measureFrom + duration * 1000;
  measuring = true;
  await Promise.all(
    sockets.map(async (c, i) => {
      const phase = (i / n) * period; // spread the streams over the frame period
      for (let f = 0; ; f++) {
        const due = t0 + phase + f * period;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (c.ws.readyState !== WebSocket.OPEN) break;
        c.sent[f] = performance.now();
        sentTotal++;
        c.ws.send(values.binary ? binMsgs[f % 90] : jsonMsgs[f % 90]);
        if (c.sent[f] < measureFrom) continue; // warm-up: not counted
        const steps = c.stepRate ? Math.floor((f * c.stepRate) / fps + 1e-9) + 1 : f + 1;
        const prev = c.stepRate ? (f === 0 ? 0 : Math.floor(((f - 1) * c.stepRate) / fps + 1e-9) + 1) : f;
        expected += steps - prev;
      }
    }),
  );
  const deadline = performance.now() + 1000;
  while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  measuring = false;
  const clientUsage = process.cpuUsage(clientCpu);
  const after = await serverHistogram(model);
  const load = execSync('uptime')
    .toString()
    .trim()
    .replace(/.*load average: /, '');
  await Promise.all(
    sockets.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve(); // the server closed it during the run
          c.ws.once('close', () => resolve());
          c.ws.close();
        }),
    ),
  );
  lat.sort((a, b) => a - b);
  const runs = (after.get('rows_count') ?? 0) - (before.get('rows_count') ?? 0);
  const rows = (after.get('rows_sum') ?? 0) - (before.get('rows_sum') ?? 0);
  const dropped = expected - received;
  return {
    model,
    streams: n,
    offered: Math.round((n * fps * duration) / duration),
    predicted: Math.round(received / duration),
    clientP50: percentile(lat, 50),
    clientP99: percentile(lat, 99),
    clientMax: lat[lat.length - 1],
    serverP50: bucketQuantile(before, after, 50),
    serverP99: bucketQuantile(before, after, 99),
    rowsPerRun: runs ? rows / runs : 0,
    serverCpuUs: (1e6 * (after.get('rows_cpu')! - before.get('rows_cpu')!)) / Math.max(1, sentTotal),
    clientCpuUs: (clientUsage.user + clientUsage.system) / Math.max(1, sentTotal),
    rssMb: before.get('rows_rss')! / 2 ** 20,
    dropped,
    closed,
    refused,
    refusals: refusals.toJSON(),
    sustained: refused === 0 && dropped === 0 && closed === 0 && percentile(lat, 50) < 1000 / fps,
    load,
  };
}

/** A latency for the table: '-' when no prediction came back to time. */
const ms = (x: number | undefined, digits: number) => (x === undefined ? '-' : x.toFixed(digits));

function print(r: Row, without?: Row): void {
  if (values.json) return;
  const ratio =
    without && r.clientP99 !== undefined && without.clientP99 !== undefined
      ? `  p99 ${(r.clientP99 / without.clientP99).toFixed(2)}x without the job (job ${r.job})`
      : '';
  console.log(
    `${(r.job ? `${r.model}+job` : r.model).padEnd(17)} N=${String(r.streams).padStart(4)}  ${String(r.offered).padStart(5)} frames/s offered, ${String(r.predicted).padStart(5)} predictions/s  ` +
      `client p50 ${ms(r.clientP50, 2)} ms p99 ${ms(r.clientP99, 2)} ms max ${ms(r.clientMax, 1)} ms  ` +
      `server p50 ${r.serverP50} ms p99 ${r.serverP99} ms  rows/run ${r.rowsPerRun.toFixed(1)}  ` +
      `CPU/frame server ${r.serverCpuUs.toFixed(0)} us client ${r.clientCpuUs.toFixed(0)} us  ` +
      `RSS ${r.rssMb.toFixed(0)} MB  ` +
      `dropped ${r.dropped} closed ${r.closed} refused ${r.refused} ${r.sustained ? 'OK' : 'NOT SUSTAINED'}  load ${r.load}${ratio}`,
  );
  if (Object.keys(r.refusals).length) console.log(`  refusals: ${describeRefusals(r.refusals)}`);
}
/** The same row while a training job (15 synthetic takes, many epochs) trains; the job is cancelled after. */
async function runWithJob(model: string, n: number): Promise<Row> {
  const base = `http://127.0.0.1:${port}`;
  const id = await postJob(base, { name: 'bench-job', samples: synthTakes(5), epochs: 500 });
  const started = await waitForJob(base, id, (j) => j.stage === 'train');
  if (started.state !== 'running') throw new Error(`the training job ended before the row: ${JSON.stringify(started)}`);
  const r = await run(model, n);
  const { state } = await waitForJob(base, id, () => true);
  await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE' });
  await waitForJob(base, id);
  return { ...r, job: state };
}

const child = await startServer();
const rows: Row[] = [];
try {
  for (const v of selected) {
    await run(v.name, 10); // warm-up
    for (const n of counts) {
      const r = await run(v.name, n);
      rows.push(r);
      print(r);
      if (values.job) {
        const withJob = await runWithJob(v.name, n);
        rows.push(withJob);
        print(withJob, r);
      }
    }
    const ok = rows.filter((r) => r.model === v.name && r.sustained).map((r) => r.streams);
    if (!values.json)
      console.log(`${v.name}: ${v.what}; largest N sustained: ${ok.length ? Math.max(...ok) : 'none'}\n`);
  }
} finally {
  await stopServeProcess(child);
  rmSync(dir, { recursive: true, force: true });
}
if (values.json)
  console.log(JSON.stringify({ duration, fps, binary: values.binary, variants: selected, rows }, null, 2));
