// Linear over time: y[t,b,:] = x[t,b,:] · W + b, all T*B rows in one matrix product.
import type { Backend } from '../backend.js';
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';

/** 'indrnn-input': kaiming-uniform with a = 8; 'kaiming-normal'; or a normal distribution with this std. */
export type LinearInit = 'indrnn-input' | 'kaiming-normal' | { std: number };

/** Forward: y[N, O] = x[N, I] · w[I, O] + b[O]. */
export function linearForward(
  mm: Backend,
  y: Float32Array,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  N: number,
  I: number,
  O: number,
) {
  return mm.gemm(x, w, N, I, O, { bias: b, out: y });
}

/**
 * Backward: dx[N, I] = dy · w^T (out; skipped when null), dw[I, O] += x^T · dy, db[O] += 1^T · dy
 * (written rather than added when `zeroed`: the gradients hold zeros). scratch: dwStep[I, O] and
 * dbStep[O] receive the products first (the gradients may be shared memory, which onnxruntime
 * refuses); ones[N] is all ones (the column sum as a product runs vectorised in onnxruntime).
 */
export async function linearBackward(
  mm: Backend,
  dx: Float32Array | null,
  dw: Float32Array,
  db: Float32Array,
  scratch: { dwStep: Float32Array; dbStep: Float32Array; ones: Float32Array },
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  N: number,
  I: number,
  O: number,
  zeroed = false,
): Promise<void> {
  if (dx) await mm.gemm(dy, w, N, O, I, { transB: true, out: dx });
  await mm.gemm(x, dy, I, N, O, { transA: true, out: scratch.dwStep });
  await mm.gemm(scratch.ones, dy, 1, N, O, { out: scratch.dbStep });
  if (zeroed) {
    dw.set(scratch.dwStep);
    db.set(scratch.dbStep);
    return;
  }
  for (let i = 0; i < dw.length; i++) dw[i] += scratch.dwStep[i];
  for (let o = 0; o < O; o++) db[o] += scratch.dbStep[o];
}

export class Linear implements Layer {
  readonly weight: Param; // [I, O]
  readonly bias: Param; // [O]
  private x: Seq | null = null; // saved input: backward needs it for dw
  private y: Float32Array | null = null; // reused buffers (see reuse())
  private dx: Float32Array | null = null;
  private scratch: { dwStep: Float32Array; dbStep: Float32Array; ones: Float32Array } | null = null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly inSize: number,
    readonly outSize: number,
    private readonly mm: Backend,
    init: LinearInit = 'indrnn-input',
    /** False for the first layer: its input is data, so dx is never computed. */
    private readonly needsInputGrad = true,
  ) {
    // Authors' IndRNN code: input weights kaiming-uniform with a = 8 -> bound sqrt(6 / 65 / fan_in) (small);
    // classifier kaiming-normal (std sqrt(2 / fan_in)); biases 0.
    // The authors' adding-problem code draws input weights from N(0, 0.001²) instead ({ std }).
    const weightInit =
      init === 'indrnn-input'
        ? { kind: 'uniform' as const, lo: -Math.sqrt(6 / 65 / inSize), hi: Math.sqrt(6 / 65 / inSize) }
        : { kind: 'normal' as const, std: init === 'kaiming-normal' ? Math.sqrt(2 / inSize) : init.std };
    this.weight = store.add(`${name}.weight`, [inSize, outSize], 'weight', weightInit);
    this.bias = store.add(`${name}.bias`, [outSize], 'bias', { kind: 'zeros' });
  }

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    if (x.C !== this.inSize) throw new RangeError(`${this.name}: input has ${x.C} channels, expected ${this.inSize}`);
    if (ctx.training) this.x = x;
    const N = x.T * x.B;
    this.y = reuse(this.y, N * this.outSize);
    await linearForward(this.mm, this.y, x.data, this.weight.value, this.bias.value, N, this.inSize, this.outSize);
    return seq(this.y, x.T, x.B, this.outSize);
  }

  async backward(dy: Seq): Promise<Seq> {
    const x = this.x;
    if (!x) throw new Error(`${this.name}: backward without a training forward`);
    const N = x.T * x.B;
    const { inSize: I, outSize: O } = this;
    this.dx = reuse(this.dx, N * I);
    if (this.scratch?.ones.length !== N) {
      this.scratch = {
        dwStep: new Float32Array(I * O),
        dbStep: new Float32Array(O),
        ones: new Float32Array(N).fill(1),
      };
    }
    const dx = this.needsInputGrad ? this.dx : null;
    await linearBackward(
      this.mm,
      dx,
      this.weight.grad,
      this.bias.grad,
      this.scratch,
      dy.data,
      x.data,
      this.weight.value,
      N,
      I,
      O,
      this.weight.gradZeroed && this.bias.gradZeroed,
    );
    this.weight.gradZeroed = this.bias.gradZeroed = false;
    if (!dx) this.dx.fill(0);
    this.x = null;
    return seq(this.dx, x.T, x.B, I);
  }
}
