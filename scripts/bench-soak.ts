// A soak of `indrnn serve` (the shipped models, as `npm start` runs it: re-executed with its V8 flags) for N
// minutes: HTTP predict (ntu-synth, 30 frames) at a fixed concurrency from autocannon, and at the same time
// live streams (ntu-synth-stream) sending one JSON frame per message at `fps`. Reports HTTP requests,
// errors (transport errors, timeouts, non-2xx), p50/p99 latency; stream frames sent, predictions, client
// p50/p99 from a frame to its prediction, unexpected closes; and the server's RSS each minute, with its
// growth from minute 1 to the end (the first minute is warm-up: heaps and caches grow to their size).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { WebSocket } from 'ws';
import { normalFrames, rssMb } from './fuzz-harness.js';
import { percentile } from './percentile.js';
import { answerReason, connectionErrorReason, Refusals, upgradeRefusalReason } from './refusals.js';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const { values } = scriptArgs({
  name: 'bench-soak',
  about:
    "a soak of `indrnn serve` on the shipped models: HTTP predicts and live streams at once for N minutes; errors, latency percentiles and the server's RSS each minute",
  runAs: 'npm run bench:soak --',
  options: {
    minutes: { type: 'string', default: '1', arg: 'N', help: 'how long' },
    connections: { type: 'string', default: '64', arg: 'N', help: 'concurrent HTTP predict connections' },
    streams: { type: 'string', default: '50', arg: 'N', help: 'live streams' },
    fps: { type: 'string', default: '30', arg: 'N', help: "each stream's frames per second" },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'the model directory served' },
    port: { type: 'string', default: '18095', arg: 'P', help: "the server's port" },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
  },
  examples: ['npm run bench:soak -- --minutes 10 --streams 100'],
});
const minutes = Number(values.minutes);
const [connections, nStreams, fps, port] = [values.connections, values.streams, values.fps, values.port].map(Number);
const url = `http://127.0.0.1:${port}`;

/** The server itself: the launcher's one child (it re-executes itself with its launch settings). */
function serverPid(launcher: number): number {
  try {
    const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/);
    return kids[0] ? Number(kids[0]) : launcher;
  } catch {
    return launcher;
  }
}

const child = await startServeProcess(
  ['--models', values.models, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu', '--log-level', 'warn'],
  port,
);
const pid = serverPid(child.pid!);
const rss: { minute: number; mb: number }[] = [{ minute: 0, mb: rssMb(pid) ?? 0 }];
const t0 = performance.now();
const durationS = minutes * 60;
const rssTimer = setInterval(
  () => rss.push({ minute: (performance.now() - t0) / 60_000, mb: rssMb(pid) ?? 0 }),
  60_000,
);

// Streams: one frame per message at `fps`, each stream's frames spread over the period.
const frames = normalFrames();
const messages = frames.map((f) => JSON.stringify({ type: 'frames', frames: [f] }));
const streamLatency: number[] = [];
let framesSent = 0;
let predictions = 0;
let unexpectedCloses = 0;
let streamErrors = 0;
let stopping = false;
/** Streams refused, errors and closes, and HTTP answers that were not 2xx, by the reason the server gave. */
const refusals = new Refusals();
async function stream(i: number): Promise<void> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/models/ntu-synth-stream/stream`, {
    perMessageDeflate: false,
  });
  const sent: number[] = [];
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      void upgradeRefusalReason(res).then((reason) => {
        refusals.add(`stream refused: ${reason}`);
        resolve(false);
      });
    });
    ws.once('error', (err) => {
      refusals.add(`stream: ${connectionErrorReason(err)}`);
      resolve(false);
    });
  });
  if (!opened) {
    unexpectedCloses++;
    return;
  }
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'prediction') {
      predictions++;
      if (sent[m.frame] !== undefined) streamLatency.push(performance.now() - sent[m.frame]);
    } else if (m.type === 'error') {
      streamErrors++;
      refusals.add(`stream error message: ${m.code}: ${m.message}`);
    }
  });
  ws.on('close', (code, reason) => {
    if (stopping) return;
    unexpectedCloses++;
    refusals.add(`stream closed ${code} ${reason.toString() || '(no reason)'}`);
  });
  const period = 1000 / fps;
  const start = performance.now() + (i / nStreams) * period;
  for (let f = 0; ; f++) {
    const due = start + f * period;
    if (due - t0 >= durationS * 1000) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (ws.readyState !== WebSocket.OPEN) return;
    sent[f] = performance.now();
    ws.send(messages[f % messages.length]);
    framesSent++;
  }
  await new Promise((r) => setTimeout(r, 500)); // the last predictions
  stopping = true;
  ws.close();
}

const body = JSON.stringify({ frames });
const [http] = await Promise.all([
  autocannon({
    url,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: '/v1/models/ntu-synth/predict',
        headers: { 'content-type': 'application/json' },
        body,
        onResponse: (status: number, answer: string) => {
          if (status >= 300) refusals.add(`HTTP ${answerReason(status, answer)}`);
        },
      },
    ],
  }),
  Promise.all(Array.from({ length: nStreams }, (_, i) => stream(i))),
]);
clearInterval(rssTimer);
rss.push({ minute: (performance.now() - t0) / 60_000, mb: rssMb(pid) ?? 0 });
await stopServeProcess(child);

streamLatency.sort((a, b) => a - b);
const afterWarmup = rss.find((r) => r.minute >= 0.99) ?? rss[0];
const last = rss[rss.length - 1];
const result = {
  minutes,
  machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  http: {
    connections,
    requests: http.requests.total,
    perSecond: Math.round(http.requests.total / durationS),
    errors: http.errors,
    timeouts: http.timeouts,
    non2xx: http.non2xx,
    p50Ms: http.latency.p50,
    p99Ms: http.latency.p99,
  },
  streams: {
    streams: nStreams,
    fps,
    framesSent,
    predictions,
    p50Ms: Number(percentile(streamLatency, 50)?.toFixed(2)),
    p99Ms: Number(percentile(streamLatency, 99)?.toFixed(2)),
    errors: streamErrors,
    unexpectedCloses,
  },
  refusals: refusals.toJSON(),
  rssMb: rss.map((r) => Math.round(r.mb)),
  rssGrowthAfterMinute1: `${(((last.mb - afterWarmup.mb) / afterWarmup.mb) * 100).toFixed(1)} %`,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  const h = result.http;
  const s = result.streams;
  console.log(`soak ${minutes} min on ${result.machine}`);
  console.log(
    `HTTP c=${h.connections}: ${h.requests} requests (${h.perSecond}/s), errors ${h.errors}, timeouts ${h.timeouts}, non-2xx ${h.non2xx}, p50 ${h.p50Ms} ms, p99 ${h.p99Ms} ms`,
  );
  console.log(
    `streams ${s.streams} x ${s.fps} frames/s: ${s.framesSent} frames, ${s.predictions} predictions, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, errors ${s.errors}, unexpected closes ${s.unexpectedCloses}`,
  );
  if (refusals.total) console.log(`refused, failed or closed, by the reason given: ${refusals}`);
  console.log(
    `server RSS by minute (MB): ${result.rssMb.join(' ')}; growth from minute 1 to the end ${result.rssGrowthAfterMinute1}`,
  );
}
const failed =
  result.http.errors +
  result.http.timeouts +
  result.http.non2xx +
  result.streams.errors +
  result.streams.unexpectedCloses;
process.exit(failed ? 1 : 0);
