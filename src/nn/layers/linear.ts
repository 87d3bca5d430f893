// Linear over time: y[t,b,:] = x[t,b,:] · W + b, all T*B rows in one matrix product.
import type { MatmulBackend } from '../matmul.js';
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, type Seq, seq } from '../seq.js';

export type LinearInit = 'indrnn-input' | 'kaiming-normal';

/** Forward: y[N, O] = x[N, I] · w[I, O] + b[O]. */
export function linearForward(mm: MatmulBackend, x: Float32Array, w: Float32Array, b: Float32Array, N: number, I: number, O: number) {
  return mm.gemm(x, w, N, I, O, { bias: b });
}

/**
 * Backward: dw[I, O] += x^T · dy, db[O] += Σ_rows dy, and (when wanted) returns dx[N, I] = dy · w^T.
 */
export async function linearBackward(
  mm: MatmulBackend,
  dw: Float32Array,
  db: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  N: number,
  I: number,
  O: number,
  wantDx: boolean,
): Promise<Float32Array | null> {
  const dxPromise = wantDx ? mm.gemm(dy, w, N, O, I, { transB: true }) : null;
  const dwStep = await mm.gemm(x, dy, I, N, O, { transA: true });
  for (let i = 0; i < dw.length; i++) dw[i] += dwStep[i];
  for (let r = 0; r < N; r++) {
    const row = r * O;
    for (let o = 0; o < O; o++) db[o] += dy[row + o];
  }
  return dxPromise ? await dxPromise : null;
}

export class Linear implements Layer {
  readonly weight: Param; // [I, O]
  readonly bias: Param; // [O]
  private x: Seq | null = null; // saved input: backward needs it for dw

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly inSize: number,
    readonly outSize: number,
    private readonly mm: MatmulBackend,
    init: LinearInit = 'indrnn-input',
    /** False for the first layer: its input is data, so dx is never computed. */
    private readonly needsInputGrad = true,
  ) {
    // Authors' IndRNN code: input weights kaiming-uniform with a = 8 -> bound sqrt(6 / 65 / fan_in) (small);
    // classifier kaiming-normal (std sqrt(2 / fan_in)); biases 0.
    const weightInit =
      init === 'indrnn-input'
        ? { kind: 'uniform' as const, lo: -Math.sqrt(6 / 65 / inSize), hi: Math.sqrt(6 / 65 / inSize) }
        : { kind: 'normal' as const, std: Math.sqrt(2 / inSize) };
    this.weight = store.add(`${name}.weight`, [inSize, outSize], 'weight', weightInit);
    this.bias = store.add(`${name}.bias`, [outSize], 'bias', { kind: 'zeros' });
  }

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    if (x.C !== this.inSize) throw new RangeError(`${this.name}: input has ${x.C} channels, expected ${this.inSize}`);
    if (ctx.training) this.x = x;
    const y = await linearForward(this.mm, x.data, this.weight.value, this.bias.value, x.T * x.B, this.inSize, this.outSize);
    return seq(y, x.T, x.B, this.outSize);
  }

  async backward(dy: Seq): Promise<Seq> {
    const x = this.x;
    if (!x) throw new Error(`${this.name}: backward without a training forward`);
    const N = x.T * x.B;
    const dx = await linearBackward(
      this.mm,
      this.weight.grad,
      this.bias.grad,
      dy.data,
      x.data,
      this.weight.value,
      N,
      this.inSize,
      this.outSize,
      this.needsInputGrad,
    );
    this.x = null;
    return seq(dx ?? new Float32Array(N * this.inSize), x.T, x.B, this.inSize);
  }
}
