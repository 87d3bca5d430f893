// The matrix products of a training step of the benchmark model, alone: onnxruntime's fp32 rate for the
// shapes bench:train runs, so that its step time can be set against what the products cost by
// themselves. Shapes (rows = T * batch rows of a shard): forward y = x W + b [rows x 512] x [512 x 512],
// the same without bias, input gradient dx = dy W^T (transB), weight gradient dW = x^T dy (transA).
// Three placements: one onnxruntime thread; one session with 2 intra-op threads; and 2 one-thread
// sessions in 2 threads at once (the data-parallel trainer's placement: its figure is the two together).
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type GemmOptions, OrtBackend } from '../src/nn/backend.js';
import { Rng } from '../src/util/rng.js';
import { scriptArgs } from './script-args.js';

const H = 512;

interface Case {
  name: string;
  M: number;
  K: number;
  N: number;
  opts: (rows: number) => GemmOptions;
}

const cases = (rows: number): Case[] => [
  { name: 'forward x W + b', M: rows, K: H, N: H, opts: () => ({ bias: new Float32Array(H) }) },
  { name: 'forward x W', M: rows, K: H, N: H, opts: () => ({}) },
  { name: 'dx = dy W^T', M: rows, K: H, N: H, opts: () => ({ transB: true }) },
  { name: 'dW = x^T dy', M: H, K: rows, N: H, opts: () => ({ transA: true }) },
];

/** Median ms of `reps` runs of one product (after 3 warm-up runs), on `threads` onnxruntime threads. */
async function timeCase(c: Case, rows: number, threads: number, reps: number): Promise<number> {
  const mm = new OrtBackend(threads);
  const rng = new Rng(1);
  const a = rng.fillNormal(new Float32Array(c.M * c.K), 0, 1);
  const b = rng.fillNormal(new Float32Array(c.K * c.N), 0, 1);
  const opts = { ...c.opts(rows), out: new Float32Array(c.M * c.N) };
  try {
    for (let i = 0; i < 3; i++) await mm.gemm(a, b, c.M, c.K, c.N, opts);
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await mm.gemm(a, b, c.M, c.K, c.N, opts);
      ms.push(performance.now() - t0);
    }
    ms.sort((x, y) => x - y);
    return ms[Math.floor(ms.length / 2)];
  } finally {
    await mm.release();
  }
}

if (!isMainThread) {
  // The second of two one-thread sessions run at once: times the same case and reports it.
  const { index, rows, reps } = workerData as { index: number; rows: number; reps: number };
  parentPort!.postMessage(await timeCase(cases(rows)[index], rows, 1, reps));
} else {
  const { values } = scriptArgs({
    name: 'bench-gemm',
    about:
      "the matrix products of a training step of the benchmark model alone: onnxruntime's fp32 rate for the shapes bench:train runs, on one thread, 2 intra-op threads, and 2 one-thread sessions at once",
    options: {
      rows: {
        type: 'string',
        default: '1280,2560',
        arg: 'LIST',
        help: 'rows of the products (T x batch rows of a shard), comma-separated',
      },
      reps: { type: 'string', default: '20', arg: 'N', help: 'repetitions of each product' },
      json: { type: 'boolean', default: false, help: 'print the results as JSON' },
    },
    examples: ['node dist/scripts/bench-gemm.js --rows 1280 --reps 10'],
  });
  const reps = Number(values.reps);
  const gflops = (c: Case, ms: number) => (2 * c.M * c.K * c.N) / ms / 1e6;
  const rows: Record<string, number | string>[] = [];
  console.log(`fp32 products in onnxruntime-node, ${availableParallelism()} cores; GFLOP/s (median of ${reps})`);
  for (const r of values.rows.split(',').map(Number)) {
    for (const [index, c] of cases(r).entries()) {
      const one = gflops(c, await timeCase(c, r, 1, reps));
      const two = gflops(c, await timeCase(c, r, 2, reps));
      const worker = new Worker(new URL(import.meta.url), { workerData: { index, rows: r, reps } });
      const other = new Promise<number>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const [mine, theirs] = await Promise.all([timeCase(c, r, 1, reps), other]);
      await worker.terminate();
      const pair = gflops(c, mine) + gflops(c, theirs);
      const row = {
        shape: `${c.M}x${c.K} . ${c.K}x${c.N}`,
        product: c.name,
        oneThread: one,
        twoThreads: two,
        twoSessions: pair,
      };
      rows.push(row);
      console.log(
        `${row.shape.padEnd(22)} ${c.name.padEnd(16)} 1 thread ${one.toFixed(0).padStart(4)}   ` +
          `2 threads ${two.toFixed(0).padStart(4)}   2 x 1 thread at once ${pair.toFixed(0).padStart(4)}`,
      );
    }
  }
  if (values.json) console.log(JSON.stringify(rows));
}
