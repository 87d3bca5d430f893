// The thread that reads and checks model files for readValidModelFile (src/onnx/model-file.ts), one at a
// time: sends back the bytes (moved, not copied) and the metadata of a valid model, or what is wrong.
import { parentPort } from 'node:worker_threads';
import type { ModelFileAnswer, ModelFileJob } from './model-file.js';
import { readModelFile } from './model-file.js';
import { ModelFileError, validateModelBytes } from './validate.js';

if (!parentPort) throw new Error('model-file-worker.js runs as a worker thread (src/onnx/model-file.ts)');
const port = parentPort;
let chain = Promise.resolve();
port.on('message', (job: ModelFileJob) => {
  chain = chain.then(() => check(job));
});

async function check({ id, path, maxBytes }: ModelFileJob): Promise<void> {
  let answer: ModelFileAnswer;
  let transfer: ArrayBuffer[] = [];
  try {
    const bytes = await readModelFile(path, maxBytes);
    answer = { id, kind: 'valid', bytes, metadata: validateModelBytes(bytes, path) };
    transfer = [bytes.buffer as ArrayBuffer];
  } catch (e) {
    answer = { id, kind: 'invalid', problem: e instanceof ModelFileError ? e.problem : (e as Error).message };
  }
  port.postMessage(answer, transfer);
}
