// The last-step readout ('last'): the classifier is trained on the last time step only.
import { type ForwardContext, type Layer, type Seq, seq } from '../seq.js';

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
