// Worker thread hosting data-parallel shards (see data-parallel.ts): one replica per shard, one
// onnxruntime thread. Messages: forward (copy the shared weights in, run the shard's rows, write the
// logits to the shared buffer), backward (read dL/dlogits from that buffer; the gradients land in the
// shard's shared gradient buffer) and adam (sum the shards' gradients and update the shared weights
// and optimiser state over one range of the parameters: shard-update.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { AdamSegment, AdamStep } from '../nn/adam.js';
import { OrtBackend } from '../nn/backend.js';
import { Network, type NetworkConfig } from '../nn/network.js';
import { seq } from '../nn/seq.js';
import { ShardBackend, ShardPeerFailed, ShardSync, type ShardSyncBuffers } from '../nn/shard.js';
import { Replica, type ShardStep } from './replica.js';
import { ADAM_REPLY_SHARD, updateShardRange } from './shard-update.js';

export interface ShardWorkerData {
  config: NetworkConfig;
  /** The optimiser's segments of the flat parameter store (the same for every step). */
  segments: AdamSegment[];
  weights: SharedArrayBuffer;
  /** The hosted shards and their gradient buffers (the replicas accumulate into them directly). */
  shards: { shard: number; grad: SharedArrayBuffer }[];
}

export type ShardRequest =
  | {
      kind: 'forward';
      shard: number;
      sync: ShardSyncBuffers;
      step: ShardStep;
      x: SharedArrayBuffer;
      T: number;
      B: number;
      logits: SharedArrayBuffer;
    }
  | {
      kind: 'backward';
      shard: number;
      sync: ShardSyncBuffers;
      logits: SharedArrayBuffer;
      T: number;
      B: number;
      C: number;
    }
  | {
      kind: 'adam';
      step: AdamStep;
      /** The range of the flat parameter store this thread updates. */
      from: number;
      to: number;
      /** Every active shard's gradient, in shard order: summed into the first. */
      grads: SharedArrayBuffer[];
      m: SharedArrayBuffer;
      v: SharedArrayBuffer;
    }
  | { kind: 'close' };

export type ShardReply =
  | { kind: 'forward'; shard: number; T: number; C: number }
  | { kind: 'backward'; shard: number }
  | { kind: 'adam' }
  | { kind: 'closed' }
  /** peer: the shard was released from a barrier because another one failed (not the cause). */
  | { kind: 'error'; shard: number; message: string; stack?: string; peer: boolean };

const port = parentPort;
if (!port) throw new Error('shard-worker.ts runs as a worker thread');
const data = workerData as ShardWorkerData;
const weights = new Float32Array(data.weights);
const backend = new OrtBackend(1);
const replicas = new Map(
  data.shards.map(({ shard, grad }) => {
    const shardBackend = new ShardBackend(backend);
    const net = new Network(data.config, shardBackend);
    net.store.useGrad(new Float32Array(grad));
    return [shard, new Replica(net, shardBackend, shard)];
  }),
);

/** Each shard's input rows, copied out of the shared buffer (the replica keeps them until its backward). */
const inputs = new Map<number, Float32Array>();

async function handle(msg: ShardRequest): Promise<ShardReply> {
  if (msg.kind === 'close') {
    await backend.release();
    return { kind: 'closed' };
  }
  if (msg.kind === 'adam') {
    const grads = msg.grads.map((g) => new Float32Array(g));
    const [m, v] = [new Float32Array(msg.m), new Float32Array(msg.v)];
    updateShardRange(weights, grads, m, v, data.segments, msg.step, msg.from, msg.to);
    return { kind: 'adam' };
  }
  const replica = replicas.get(msg.shard);
  if (!replica) throw new Error(`this worker hosts no shard ${msg.shard}`);
  const sync = new ShardSync(msg.sync);
  const I = replica.net.config.inputSize;
  if (msg.kind === 'forward') {
    replica.net.store.data.set(weights);
    // A copy (onnxruntime refuses shared memory), reused from step to step.
    const n = msg.T * msg.B * I;
    if (inputs.get(msg.shard)?.length !== n) inputs.set(msg.shard, new Float32Array(n));
    const x = inputs.get(msg.shard)!;
    x.set(new Float32Array(msg.x, 0, n));
    const logits = await replica.forward(seq(x, msg.T, msg.B, I), msg.step, sync);
    new Float32Array(msg.logits, 0, logits.data.length).set(logits.data);
    return { kind: 'forward', shard: msg.shard, T: logits.T, C: logits.C };
  }
  const dLogits = new Float32Array(msg.logits, 0, msg.T * msg.B * msg.C).slice();
  await replica.backward(dLogits, msg.T, msg.B, msg.C, sync);
  return { kind: 'backward', shard: msg.shard };
}

port.on('message', (msg: ShardRequest) => {
  handle(msg).then(
    (reply) => port.postMessage(reply),
    (e: unknown) => {
      if (msg.kind === 'forward' || msg.kind === 'backward') new ShardSync(msg.sync).fail();
      const shard = msg.kind === 'close' ? -1 : msg.kind === 'adam' ? ADAM_REPLY_SHARD : msg.shard;
      const error = e instanceof Error ? e : new Error(String(e));
      const reply: ShardReply = {
        kind: 'error',
        shard,
        message: error.message,
        stack: error.stack,
        peer: e instanceof ShardPeerFailed,
      };
      port.postMessage(reply);
    },
  );
});
