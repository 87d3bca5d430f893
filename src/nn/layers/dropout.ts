// Dropout with ONE mask per sequence, shared over all time steps (as the IndRNN authors do): a dropped
// neuron stays dropped for the whole sequence, which keeps the recurrence's memory intact.
import type { Rng } from '../../util/rng.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';

/** mask[B, C] (out): 0 (where rng.next() < p, one draw per value in order) or 1/(1-p). */
export function dropoutMask(mask: Float32Array, p: number, rng: Rng): void {
  rng.fillMask(mask, p, 1 / (1 - p));
}

/** y[T, B, C] = x ⊙ mask broadcast over T. Also the backward (dx = dy ⊙ mask). */
export function applyMask(y: Float32Array, x: Float32Array, mask: Float32Array, T: number, BC: number): void {
  for (let t = 0; t < T; t++) {
    const off = t * BC;
    for (let i = 0; i < BC; i++) y[off + i] = x[off + i] * mask[i];
  }
}

export class Dropout implements Layer {
  private mask: Float32Array | null = null;
  private y: Float32Array | null = null; // reused buffers (see reuse())
  private dx: Float32Array | null = null;

  constructor(readonly p: number) {
    if (!(p >= 0 && p < 1)) throw new RangeError(`dropout probability must be in [0, 1), got ${p}`);
  }

  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    if (!ctx.training || this.p === 0) {
      this.mask = null;
      return x;
    }
    if (!ctx.rng) throw new Error('dropout in training needs ctx.rng');
    const rng = ctx.rng;
    const mask = new Float32Array(x.B * x.C);
    dropoutMask(mask, this.p, rng);
    this.y = reuse(this.y, x.data.length);
    const y = this.y;
    applyMask(y, x.data, mask, x.T, x.B * x.C);
    this.mask = mask;
    return seq(y, x.T, x.B, x.C);
  }

  async backward(dy: Seq): Promise<Seq> {
    if (!this.mask) return dy;
    this.dx = reuse(this.dx, dy.data.length);
    const dx = this.dx;
    applyMask(dx, dy.data, this.mask, dy.T, dy.B * dy.C);
    this.mask = null;
    return seq(dx, dy.T, dy.B, dy.C);
  }
}
