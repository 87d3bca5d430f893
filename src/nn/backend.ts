// The compute backend of the trainer: matrix products and the few elementwise reductions that are
// bound by memory bandwidth. JavaScript loops reach ~1.3 GFLOP/s here while onnxruntime's CPU kernels
// reach ~200 GFLOP/s on products (docs/design.md) and run reductions vectorised on both cores, so these go
// through cached onnxruntime sessions. A naive reference backend stays beside it for tests.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { graph, int64Tensor, node, serializeModel, valueInfo } from '../util/onnx-graph.js';

export interface GemmOptions {
  transA?: boolean; // use A^T, where A is stored [K, M]
  transB?: boolean; // use B^T, where B is stored [N, K]
  bias?: Float32Array; // [N], added to every row
  /** Write C here (length M*N) instead of a fresh array: saves an allocation per call on hot paths. */
  out?: Float32Array;
}

export interface ChannelSums {
  a: Float32Array | Float64Array; // [C]
  b: Float32Array | Float64Array; // [C]
  /** Rows the sums cover: T*B, or all shards' rows when a data-parallel step sums across shards. */
  count: number;
  /**
   * Summed across shards, for a shard other than the first: the sums are the whole batch's, so
   * gradients taken straight from them (BN's dgamma, dbeta) must be added by one shard only.
   */
  secondary?: boolean;
}

export interface Backend {
  readonly name: string;
  /** C[M, N] = op(A)[M, K] · op(B)[K, N] (+ bias). */
  gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts?: GemmOptions): Promise<Float32Array>;
  /** out[i] = a[i] + b[i]. */
  add(out: Float32Array, a: Float32Array, b: Float32Array): Promise<void>;
  /** Per channel of x[rows, C]: a = Σ_rows x, b = Σ_rows x². (Batch-norm statistics.) */
  channelMoments(x: Float32Array, rows: number, C: number): Promise<ChannelSums>;
  /**
   * With d = dy ⊙ mask (dy, h: [T, B, C]; mask: [B, C] broadcast over T), per channel:
   * a = Σ_{t,b} d, b = Σ_{t,b} d·h. (Batch-norm backward statistics.)
   */
  maskedSums(
    dy: Float32Array,
    mask: Float32Array,
    h: Float32Array,
    T: number,
    B: number,
    C: number,
  ): Promise<ChannelSums>;
  /** Time spent since creation or the last resetStats (for throughput breakdowns). */
  readonly stats: { gemm: OpStats; elementwise: OpStats };
  resetStats(): void;
  release(): Promise<void>;
}

export interface OpStats {
  calls: number;
  ms: number;
  flops: number;
}

function checkLength(what: string, a: Float32Array, expected: number, formula: string): void {
  if (a.length !== expected) throw new RangeError(`${what} has ${a.length} values, expected ${formula} = ${expected}`);
}

function checkGemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions): void {
  checkLength('gemm: A', a, M * K, `M*K = ${M}*${K}`);
  checkLength('gemm: B', b, K * N, `K*N = ${K}*${N}`);
  if (opts.bias) checkLength('gemm: bias', opts.bias, N, 'N');
  if (opts.out) checkLength('gemm: out', opts.out, M * N, `M*N = ${M}*${N}`);
}

/** Checks sizes, skips empty work and keeps the timing statistics; subclasses compute. */
abstract class BaseBackend implements Backend {
  abstract readonly name: string;
  readonly stats = { gemm: { calls: 0, ms: 0, flops: 0 }, elementwise: { calls: 0, ms: 0, flops: 0 } };

  resetStats(): void {
    for (const s of [this.stats.gemm, this.stats.elementwise]) s.calls = s.ms = s.flops = 0;
  }

  async release(): Promise<void> {}

  /** The last queued call: calls run one at a time, in call order (see timed). */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs calls one after another even when several replicas of a network share this backend in one
   * thread (data-parallel shards placed together): their products then take the cores this backend
   * was given, no more. Times each call from its start.
   */
  private timed<T>(s: OpStats, flops: number, f: () => Promise<T>): Promise<T> {
    const run = async () => {
      const t0 = performance.now();
      const r = await f();
      s.ms += performance.now() - t0;
      s.calls++;
      s.flops += flops;
      return r;
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async gemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions = {}) {
    checkGemm(a, b, M, K, N, opts);
    if (M * N === 0) return opts.out ?? new Float32Array(0);
    return this.timed(this.stats.gemm, 2 * M * K * N, () => this.computeGemm(a, b, M, K, N, opts));
  }

  async add(out: Float32Array, a: Float32Array, b: Float32Array) {
    checkLength('add: b', b, a.length, 'a.length');
    checkLength('add: out', out, a.length, 'a.length');
    if (a.length === 0) return;
    return this.timed(this.stats.elementwise, a.length, () => this.computeAdd(out, a, b));
  }

  async channelMoments(x: Float32Array, rows: number, C: number) {
    checkLength('channelMoments: x', x, rows * C, `rows*C = ${rows}*${C}`);
    if (rows === 0) return { a: new Float32Array(C), b: new Float32Array(C), count: 0 };
    return this.timed(this.stats.elementwise, 2 * x.length, () => this.computeMoments(x, rows, C));
  }

  async maskedSums(dy: Float32Array, mask: Float32Array, h: Float32Array, T: number, B: number, C: number) {
    checkLength('maskedSums: dy', dy, T * B * C, `T*B*C = ${T}*${B}*${C}`);
    checkLength('maskedSums: h', h, T * B * C, `T*B*C = ${T}*${B}*${C}`);
    checkLength('maskedSums: mask', mask, B * C, `B*C = ${B}*${C}`);
    if (T * B === 0) return { a: new Float32Array(C), b: new Float32Array(C), count: 0 };
    return this.timed(this.stats.elementwise, 4 * dy.length, () => this.computeMaskedSums(dy, mask, h, T, B, C));
  }

  protected abstract computeGemm(
    a: Float32Array,
    b: Float32Array,
    M: number,
    K: number,
    N: number,
    opts: GemmOptions,
  ): Promise<Float32Array>;
  protected abstract computeAdd(out: Float32Array, a: Float32Array, b: Float32Array): Promise<void>;
  protected abstract computeMoments(x: Float32Array, rows: number, C: number): Promise<ChannelSums>;
  protected abstract computeMaskedSums(
    dy: Float32Array,
    mask: Float32Array,
    h: Float32Array,
    T: number,
    B: number,
    C: number,
  ): Promise<ChannelSums>;
}

/** Naive loops with float64 accumulation: slow, obviously right; for tests only. */
export class ReferenceBackend extends BaseBackend {
  readonly name = 'reference';

  protected async computeGemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions) {
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

  protected async computeAdd(out: Float32Array, a: Float32Array, b: Float32Array) {
    for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  }

  protected async computeMoments(x: Float32Array, rows: number, C: number) {
    const a = new Float64Array(C);
    const b = new Float64Array(C);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < C; c++) {
        const v = x[r * C + c];
        a[c] += v;
        b[c] += v * v;
      }
    }
    return { a: Float32Array.from(a), b: Float32Array.from(b), count: rows };
  }

  protected async computeMaskedSums(
    dy: Float32Array,
    mask: Float32Array,
    h: Float32Array,
    T: number,
    B: number,
    C: number,
  ) {
    const a = new Float64Array(C);
    const b = new Float64Array(C);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < B * C; j++) {
        const i = t * B * C + j;
        const d = dy[i] * mask[j];
        a[j % C] += d;
        b[j % C] += d * h[i];
      }
    }
    return { a: Float32Array.from(a), b: Float32Array.from(b), count: T * B };
  }
}

/** The one-node-or-so graphs the onnxruntime backend runs; all dims dynamic. */
const graphs = {
  gemm(transA: boolean, transB: boolean, withBias: boolean) {
    const inputs = [valueInfo('A', 'float', ['a0', 'a1']), valueInfo('B', 'float', ['b0', 'b1'])];
    if (withBias) inputs.push(valueInfo('C', 'float', ['n']));
    return graph({
      name: 'gemm',
      nodes: [
        node('Gemm', withBias ? ['A', 'B', 'C'] : ['A', 'B'], ['Y'], {
          transA: { int: +transA },
          transB: { int: +transB },
        }),
      ],
      inputs,
      outputs: [valueInfo('Y', 'float', ['m', 'n'])],
    });
  },
  add() {
    return graph({
      name: 'add',
      nodes: [node('Add', ['A', 'B'], ['Y'])],
      inputs: [valueInfo('A', 'float', ['n']), valueInfo('B', 'float', ['n'])],
      outputs: [valueInfo('Y', 'float', ['n'])],
    });
  },
  moments() {
    return graph({
      name: 'moments',
      nodes: [
        node('ReduceSum', ['X', 'axes'], ['S'], { keepdims: { int: 0 } }),
        node('Mul', ['X', 'X'], ['X2']),
        node('ReduceSum', ['X2', 'axes'], ['S2'], { keepdims: { int: 0 } }),
      ],
      inputs: [valueInfo('X', 'float', ['rows', 'C'])],
      outputs: [valueInfo('S', 'float', ['C']), valueInfo('S2', 'float', ['C'])],
      initializers: [int64Tensor('axes', [1], [0])],
    });
  },
  maskedSums() {
    return graph({
      name: 'masked_sums',
      nodes: [
        node('Mul', ['DY', 'MASK'], ['D']),
        node('Mul', ['D', 'H'], ['DH']),
        node('ReduceSum', ['D', 'axes'], ['SD'], { keepdims: { int: 0 } }),
        node('ReduceSum', ['DH', 'axes'], ['SDH'], { keepdims: { int: 0 } }),
      ],
      inputs: [
        valueInfo('DY', 'float', ['T', 'B', 'C']),
        valueInfo('MASK', 'float', ['B', 'C']),
        valueInfo('H', 'float', ['T', 'B', 'C']),
      ],
      outputs: [valueInfo('SD', 'float', ['C']), valueInfo('SDH', 'float', ['C'])],
      initializers: [int64Tensor('axes', [2], [0, 1])],
    });
  },
};

const f32 = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);

export class OrtBackend extends BaseBackend {
  readonly name = 'onnxruntime-cpu';
  private readonly threads: number;
  private sessions = new Map<string, Promise<ort.InferenceSession>>();

  /**
   * threads: onnxruntime intra-op threads; 0 = one per core. Left unset, onnxruntime-node ran these
   * products on one thread here (half the speed on 2 cores), so we always set it.
   */
  constructor(threads = 0) {
    super();
    this.threads = threads > 0 ? threads : availableParallelism();
  }

  private session(key: string, build: () => ReturnType<typeof graph>): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = ort.InferenceSession.create(serializeModel({ graph: build(), opset: 17 }), {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: this.threads,
        // Idle pool threads would otherwise spin after each call and steal the core that the
        // JavaScript elementwise work between calls needs.
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      this.sessions.set(key, s);
    }
    return s;
  }

  protected async computeGemm(a: Float32Array, b: Float32Array, M: number, K: number, N: number, opts: GemmOptions) {
    const { transA = false, transB = false, bias, out } = opts;
    const session = await this.session(`gemm${+transA}${+transB}${+!!bias}`, () => graphs.gemm(transA, transB, !!bias));
    const feeds: Record<string, ort.Tensor> = {
      A: f32(a, transA ? [K, M] : [M, K]),
      B: f32(b, transB ? [N, K] : [K, N]),
    };
    if (bias) feeds.C = f32(bias, [N]);
    if (out) {
      await session.run(feeds, { Y: f32(out, [M, N]) });
      return out;
    }
    return (await session.run(feeds)).Y.data as Float32Array;
  }

  protected async computeAdd(out: Float32Array, a: Float32Array, b: Float32Array) {
    const session = await this.session('add', graphs.add);
    await session.run({ A: f32(a, [a.length]), B: f32(b, [b.length]) }, { Y: f32(out, [out.length]) });
  }

  protected async computeMoments(x: Float32Array, rows: number, C: number) {
    const session = await this.session('moments', graphs.moments);
    const r = await session.run({ X: f32(x, [rows, C]) });
    return { a: r.S.data as Float32Array, b: r.S2.data as Float32Array, count: rows };
  }

  protected async computeMaskedSums(
    dy: Float32Array,
    mask: Float32Array,
    h: Float32Array,
    T: number,
    B: number,
    C: number,
  ) {
    const session = await this.session('maskedSums', graphs.maskedSums);
    const r = await session.run({ DY: f32(dy, [T, B, C]), MASK: f32(mask, [B, C]), H: f32(h, [T, B, C]) });
    return { a: r.SD.data as Float32Array, b: r.SDH.data as Float32Array, count: T * B };
  }

  override async release(): Promise<void> {
    for (const s of this.sessions.values()) await (await s).release();
    this.sessions.clear();
  }
}
