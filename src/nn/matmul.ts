// Matrix products for the trainer. JavaScript loops reach ~1.3 GFLOP/s here while onnxruntime's CPU
// kernels reach ~200 GFLOP/s (DESIGN.md), so every large product goes through a cached onnxruntime
// session. A naive reference stays beside it for tests.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { graph, node, serializeModel, valueInfo } from '../onnx/graph.js';

export interface GemmOptions {
  transA?: boolean; // use A^T, where A is stored [K, M]
  transB?: boolean; // use B^T, where B is stored [N, K]
  bias?: Float32Array; // [N], added to every row
  /** Write C here (length M*N) instead of a fresh array: saves an allocation per call on hot paths. */
  out?: Float32Array;
}

/** C[M, N] = op(A)[M, K] · op(B)[K, N] (+ bias). */
export interface MatmulBackend {
  readonly name: string;
  gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts?: GemmOptions): Promise<Float32Array>;
  /** Time spent in products since creation or the last resetStats (for throughput breakdowns). */
  readonly stats: { calls: number; ms: number; flops: number };
  resetStats(): void;
}

function checkSizes(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions): void {
  const { bias, out } = opts;
  if (a.length !== M * K) throw new RangeError(`gemm: A has ${a.length} values, expected M*K = ${M}*${K}`);
  if (b.length !== K * N) throw new RangeError(`gemm: B has ${b.length} values, expected K*N = ${K}*${N}`);
  if (bias && bias.length !== N) throw new RangeError(`gemm: bias has ${bias.length} values, expected N = ${N}`);
  if (out && out.length !== M * N) throw new RangeError(`gemm: out has ${out.length} values, expected M*N = ${M}*${N}`);
}

abstract class TimedBackend implements MatmulBackend {
  abstract readonly name: string;
  readonly stats = { calls: 0, ms: 0, flops: 0 };
  resetStats(): void {
    this.stats.calls = 0;
    this.stats.ms = 0;
    this.stats.flops = 0;
  }
  async gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions = {}) {
    checkSizes(a, b, M, K, N, opts);
    const t0 = performance.now();
    const c = M * N === 0 ? (opts.out ?? new Float32Array(0)) : await this.compute(a, b, M, K, N, opts);
    this.stats.ms += performance.now() - t0;
    this.stats.calls++;
    this.stats.flops += 2 * M * K * N;
    return c;
  }
  protected abstract compute(
    a: Float32Array,
    b: Float32Array,
    M: number,
    K: number,
    N: number,
    opts: GemmOptions,
  ): Promise<Float32Array>;
}

/** Naive triple loop with float64 accumulation: slow, obviously right; for tests only. */
export class ReferenceMatmul extends TimedBackend {
  readonly name = 'reference';
  protected async compute(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions) {
    const c = opts.out ?? new Float32Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = opts.bias ? opts.bias[j] : 0;
        for (let k = 0; k < K; k++) {
          const av = opts.transA ? a[k * M + i] : a[i * K + k];
          const bv = opts.transB ? b[j * K + k] : b[k * N + j];
          s += av * bv;
        }
        c[i * N + j] = s;
      }
    }
    return c;
  }
}

/** One-node Gemm model with fully dynamic dims; one cached session per (transA, transB, bias) variant. */
function gemmModel(transA: boolean, transB: boolean, withBias: boolean): Uint8Array {
  const inputs = [valueInfo('A', 'float', ['a0', 'a1']), valueInfo('B', 'float', ['b0', 'b1'])];
  if (withBias) inputs.push(valueInfo('C', 'float', ['n']));
  const g = graph({
    name: 'gemm',
    nodes: [
      node('Gemm', withBias ? ['A', 'B', 'C'] : ['A', 'B'], ['Y'], {
        transA: { int: transA ? 1 : 0 },
        transB: { int: transB ? 1 : 0 },
      }),
    ],
    inputs,
    outputs: [valueInfo('Y', 'float', ['m', 'n'])],
  });
  return serializeModel({ graph: g, opset: 17 });
}

export class OrtMatmul extends TimedBackend {
  readonly name = 'onnxruntime-cpu';
  private sessions = new Map<string, Promise<ort.InferenceSession>>();

  /**
   * threads: onnxruntime intra-op threads; 0 = one per core. Left unset, onnxruntime-node ran these
   * products on one thread here (half the speed on 2 cores), so we always set it.
   */
  constructor(threads = 0) {
    super();
    this.threads = threads > 0 ? threads : availableParallelism();
  }
  private readonly threads: number;

  private session(transA: boolean, transB: boolean, withBias: boolean): Promise<ort.InferenceSession> {
    const key = `${+transA}${+transB}${+withBias}`;
    let s = this.sessions.get(key);
    if (!s) {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: this.threads,
        // Idle pool threads would otherwise spin after each product and steal the core that the
        // JavaScript elementwise work between products needs.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      };
      s = ort.InferenceSession.create(gemmModel(transA, transB, withBias), options);
      this.sessions.set(key, s);
    }
    return s;
  }

  protected async compute(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions) {
    const session = await this.session(!!opts.transA, !!opts.transB, !!opts.bias);
    const feeds: Record<string, ort.Tensor> = {
      A: new ort.Tensor('float32', a, opts.transA ? [K, M] : [M, K]),
      B: new ort.Tensor('float32', b, opts.transB ? [N, K] : [K, N]),
    };
    if (opts.bias) feeds.C = new ort.Tensor('float32', opts.bias, [N]);
    if (opts.out) {
      await session.run(feeds, { Y: new ort.Tensor('float32', opts.out, [M, N]) });
      return opts.out;
    }
    const result = await session.run(feeds);
    return result.Y.data as Float32Array;
  }

  async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
