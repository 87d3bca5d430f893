// Layers built from layers: a chain, a residual connection around a chain, and the last-step readout.
import type { Backend } from '../backend.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';

export class Sequential implements Layer {
  constructor(readonly layers: Layer[]) {}

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    for (const layer of this.layers) x = await layer.forward(x, ctx);
    return x;
  }

  /** Mirrors forward in reverse order. */
  async backward(dy: Seq): Promise<Seq> {
    for (let i = this.layers.length - 1; i >= 0; i--) dy = await this.layers[i].backward(dy);
    return dy;
  }
}

/** y = x + f(x); dx = dy + f'(dy). */
export class Residual implements Layer {
  private y: Float32Array | null = null; // reused buffers (see reuse())
  private dx: Float32Array | null = null;

  constructor(
    readonly body: Sequential,
    private readonly backend: Backend,
  ) {}

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    const fx = await this.body.forward(x, ctx);
    if (fx.C !== x.C) throw new RangeError(`residual body changes channels from ${x.C} to ${fx.C}`);
    this.y = reuse(this.y, x.data.length);
    const y = this.y;
    await this.backend.add(y, x.data, fx.data);
    return seq(y, x.T, x.B, x.C);
  }

  async backward(dy: Seq): Promise<Seq> {
    const dBody = await this.body.backward(dy);
    this.dx = reuse(this.dx, dy.data.length);
    const dx = this.dx;
    await this.backend.add(dx, dy.data, dBody.data);
    return seq(dx, dy.T, dy.B, dy.C);
  }
}

/** [T, B, C] -> [1, B, C]: the paper's classifier reads the last time step. */
export class LastStep implements Layer {
  private T = 0;
  private dx: Float32Array | null = null; // reused: zeros but for the last step (see backward)

  async forward(x: Seq, _ctx: ForwardContext): Promise<Seq> {
    if (x.T === 0) throw new RangeError('cannot read the last step of an empty sequence (T = 0)');
    this.T = x.T;
    const BC = x.B * x.C;
    return seq(x.data.slice((x.T - 1) * BC), 1, x.B, x.C);
  }

  async backward(dy: Seq): Promise<Seq> {
    const BC = dy.B * dy.C;
    const n = this.T * BC;
    // Only the last step is ever written, so a buffer of the same size still holds zeros elsewhere
    // (a fresh T*B*C array per step cost more in allocation and GC than the rest of this layer).
    if (this.dx?.length !== n) this.dx = new Float32Array(n);
    this.dx.set(dy.data, (this.T - 1) * BC);
    return seq(this.dx, this.T, dy.B, dy.C);
  }
}
