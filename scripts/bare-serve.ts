// The floor any Node HTTP server reaches with this model, for bench:server: node:http alone, no Express, no
// validation, no preprocessing, no metrics or logs. A POST body of T x 25 x 3 float32 (one body, as the
// bench's binary requests) is copied into the first body's half of a model input row, the bodies that
// arrived during a run are taken together one event-loop turn later (as src/host/batcher.ts does), run in
// one model.run of up to 32 sequences, and each answered with its last step's top class as JSON.
// Not a server for users: it checks nothing a client sends beyond the body's length.
// With --express the same runs behind Express 5 (one route, express.raw): what Express itself costs.
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import express from 'express';
import { IndrnnModel } from '../src/onnx/model.js';
import { scriptArgs } from './script-args.js';

const { positionals, values } = scriptArgs({
  name: 'bare-serve',
  about:
    'the floor any Node HTTP server reaches with a model (for bench:server): node:http, batching and model.run, nothing else; POST a body of T x 25 x 3 float32, GET answers 200 when up. Not a server for users.',
  positionals: { usage: 'MODEL.onnx PORT', min: 2, max: 2 },
  options: {
    threads: { type: 'string', default: '0', arg: 'N', help: 'onnxruntime intra-op threads (0: one per core)' },
    T: { type: 'string', default: '20', arg: 'N', help: 'frames per request' },
    express: { type: 'boolean', default: false, help: 'the same behind Express 5 (one route, express.raw)' },
  },
  examples: ['node dist/scripts/bare-serve.js models/ntu-synth.onnx 18099 --threads 1'],
});
const [file, port] = positionals;
const T = Number(values.T);
const MAX_BATCH = 32;
const FRAME_VALUES = 25 * 3;
const model = await IndrnnModel.fromBytes(readFileSync(file), file, {
  provider: 'cpu',
  threads: Number(values.threads),
});
const D = model.inputSize;
const K = model.numOutputs;

interface Waiting {
  body: Buffer;
  res: ServerResponse;
}
let queue: Waiting[] = [];
/** Sequences run and runs made, as the server's indrnn_batch_size histogram's sum and count. */
let [sequencesRun, runs] = [0, 0];

/** The two series bench:server reads from a server: batch sizes and CPU seconds. */
function metricsText(): string {
  const u = process.cpuUsage();
  return `indrnn_batch_size_sum ${sequencesRun}\nindrnn_batch_size_count ${runs}\nprocess_cpu_seconds_total ${(u.user + u.system) / 1e6}\n`;
}
let running = false;
/** Inputs per batch size, made once: x[T, B, D]. */
const inputs = new Map<number, Float32Array>();

function inputFor(B: number): Float32Array {
  let x = inputs.get(B);
  if (!x) {
    x = new Float32Array(T * B * D);
    inputs.set(B, x);
  }
  return x;
}

async function runWaiting(): Promise<void> {
  if (running || queue.length === 0) return;
  running = true;
  const batch = queue.length > MAX_BATCH ? queue.splice(0, MAX_BATCH) : queue;
  if (batch === queue) queue = [];
  const B = batch.length;
  const x = inputFor(B);
  for (let b = 0; b < B; b++) {
    const frames = new Float32Array(batch[b].body.buffer, batch[b].body.byteOffset, T * FRAME_VALUES);
    for (let t = 0; t < T; t++) x.set(frames.subarray(t * FRAME_VALUES, (t + 1) * FRAME_VALUES), (t * B + b) * D);
  }
  const { logits } = await model.run(x, T, B);
  sequencesRun += B;
  runs++;
  for (let b = 0; b < B; b++) {
    const row = ((T - 1) * B + b) * K;
    let best = 0;
    for (let k = 1; k < K; k++) if (logits[row + k] > logits[row + best]) best = k;
    batch[b].res.setHeader('Content-Type', 'application/json');
    batch[b].res.end(JSON.stringify({ label: best, score: logits[row + best] }));
  }
  running = false;
  if (queue.length > 0) setImmediate(runWaiting);
}

/** A body read: queued for the next run, or refused when it is not one sequence's frames. */
function accept(read: Buffer, res: ServerResponse): void {
  const body = read.byteOffset % 4 === 0 ? read : Buffer.from(new Uint8Array(read));
  if (body.length !== T * FRAME_VALUES * 4) {
    res.statusCode = 400;
    res.end('{"error":"body: expected T x 25 x 3 float32"}');
    return;
  }
  queue.push({ body, res });
  if (queue.length === 1) setImmediate(runWaiting);
}

/** --express: the same behind Express 5, one route and express.raw, to price Express itself. */
function expressApp(): RequestListener {
  const app = express();
  app.get(['/readyz', '/metrics'], (req, res) => {
    res.end(req.path === '/metrics' ? metricsText() : '{"ready":true}');
  });
  app.post('/v1/models/:name/predict', express.raw({ type: () => true, limit: '8mb' }), (req, res) => {
    accept(req.body as Buffer, res);
  });
  return app;
}

/** node:http alone. */
const bare: RequestListener = (req, res) => {
  if (req.method === 'GET') {
    res.end(req.url === '/metrics' ? metricsText() : '{"ready":true}'); // for bench:server, serve-process.ts
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => accept(Buffer.concat(chunks), res));
};

createServer(values.express ? expressApp() : bare).listen(Number(port), '127.0.0.1');
