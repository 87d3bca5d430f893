// The thread a 'worker' runner's session lives in (src/onnx/worker-runner.ts): creates the session from the
// model bytes with the same provider choice and options as an inline one, then runs one message at a time
// into the buffers it is sent and sends them back.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createSession } from './session.js';
import type { FromWorker, RunBuffers, ToWorker, WorkerInit } from './worker-protocol.js';

if (!parentPort) throw new Error('session-worker.js runs as a worker thread (src/onnx/worker-runner.ts)');
const port: MessagePort = parentPort;
const init = workerData as WorkerInit;
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const transfers = (b: RunBuffers) => [b.x, b.h0, b.logits, b.hT];

const fallbacks: string[] = [];
const created = await createSession(init.bytes, init.path, {
  provider: init.provider,
  threads: init.threads,
  onFallback: (reason) => fallbacks.push(reason),
}).catch((e: Error) => e);
if (created instanceof Error) {
  send({ kind: 'failed', message: created.message });
  port.close();
} else {
  send({ kind: 'ready', provider: created.provider, fallbacks });
  serve(created.session);
}

function serve(session: ort.InferenceSession): void {
  // One message at a time: a release that arrives during a run waits for it.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(() => handle(m));
  });
  async function handle(m: ToWorker): Promise<void> {
    if (m.kind === 'release') {
      await session.release();
      send({ kind: 'released' });
      port.close();
      return;
    }
    const { shape: s, buffers: b } = m;
    let error: string | undefined;
    try {
      await session.run(
        {
          x: new ort.Tensor('float32', new Float32Array(b.x, 0, s.T * s.B * s.D), [s.T, s.B, s.D]),
          h0: new ort.Tensor('float32', new Float32Array(b.h0, 0, s.L * s.B * s.H), [s.L, s.B, s.H]),
        },
        {
          logits: new ort.Tensor('float32', new Float32Array(b.logits, 0, s.T * s.B * s.K), [s.T, s.B, s.K]),
          hT: new ort.Tensor('float32', new Float32Array(b.hT, 0, s.L * s.B * s.H), [s.L, s.B, s.H]),
        },
      );
    } catch (e) {
      error = (e as Error).message;
    }
    send({ kind: 'ran', buffers: b, error }, transfers(b));
  }
}
