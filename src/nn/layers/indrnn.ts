// The IndRNN recurrence (Li et al. 2018): h_t = relu(z_t + u ⊙ h_{t-1}), one recurrent weight per neuron.
// z_t = W x_t + b comes from the Linear before it, so all that is left here is elementwise.
import type { Param, ParamStore } from '../params.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from '../seq.js';

/** U_bound = MAG^(1/T): |u|^T stays below MAG, so a signal can neither explode nor vanish over T steps. */
export function recurrentBound(mag: number, T: number): number {
  return mag ** (1 / T);
}

/**
 * Forward over a whole sequence. h[T, B, H] (out), z[T, B, H], u[H], h0[B, H] or null for zeros.
 * Saves nothing itself: h is the output, and backward needs exactly h (for [a_t > 0] = [h_t > 0]
 * and h_{t-1}) plus h0.
 */
export function indrnnForward(
  h: Float32Array,
  z: Float32Array,
  u: Float32Array,
  h0: Float32Array | null,
  T: number,
  B: number,
  H: number,
): void {
  const BH = B * H;
  for (let t = 0; t < T; t++) {
    const cur = t * BH;
    // h_{t-1}: the previous step of h, or h0 at t = 0 (zeros when absent: read h0 ?? z times 0).
    const prevArr = t > 0 ? h : (h0 ?? z);
    const hasPrev = t > 0 || h0 !== null ? 1 : 0;
    for (let row = 0; row < BH; row += H) {
      const base = cur + row;
      const prevBase = t > 0 ? base - BH : row;
      for (let k = 0; k < H; k++) {
        const a = z[base + k] + hasPrev * u[k] * prevArr[prevBase + k];
        h[base + k] = 0.5 * (a + Math.abs(a)); // relu without a branch: signs are random, branches mispredict
      }
    }
  }
}

/**
 * Backward through time (per neuron): g_t = (dh_t + u g_{t+1}) [a_t > 0]; dz_t = g_t; du += Σ_t g_t h_{t-1};
 * dh0 = u g_0. dz[T, B, H] (out), du[H] (accumulated), dh0[B, H] (out, optional), dh, h, u, h0 as in forward.
 */
export function indrnnBackward(
  dz: Float32Array,
  du: Float32Array,
  dh0: Float32Array | null,
  dh: Float32Array,
  h: Float32Array,
  u: Float32Array,
  h0: Float32Array | null,
  T: number,
  B: number,
  H: number,
): void {
  const BH = B * H;
  const duAcc = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    const cur = t * BH;
    const hasNext = t < T - 1;
    const prevArr = t === 0 ? h0 : h;
    const prev = t === 0 ? 0 : cur - BH;
    for (let b = 0; b < B; b++) {
      const row = b * H;
      for (let k = 0; k < H; k++) {
        const i = cur + row + k;
        const upstream = hasNext ? dh[i] + u[k] * dz[i + BH] : dh[i];
        const g = upstream * +(h[i] > 0); // [a_t > 0] = [h_t > 0], multiplied rather than branched
        dz[i] = g;
        if (prevArr) duAcc[k] += g * prevArr[prev + row + k];
      }
    }
  }
  for (let k = 0; k < H; k++) du[k] += duAcc[k];
  if (dh0) {
    for (let b = 0; b < B; b++) for (let k = 0; k < H; k++) dh0[b * H + k] = u[k] * dz[b * H + k];
  }
}

export interface IndRNNOptions {
  mag: number; // MAG in U_bound = MAG^(1/T)
  seqLen: number; // the T of that bound
  last: boolean; // the last IndRNN layer starts with long memory: u ~ U((1/MAG)^(1/T), U_bound)
}

/** This layer's h0[B, H] from the context (null = zeros), checked. */
export function initialState(
  ctx: ForwardContext,
  index: number,
  name: string,
  B: number,
  H: number,
): Float32Array | null {
  const h0 = ctx.h0?.[index] ?? null;
  if (h0 && h0.length !== B * H) throw new RangeError(`${name}: h0 has ${h0.length} values, expected B*H = ${B * H}`);
  return h0;
}

/** Stores h_T[B, H] (a copy) in ctx.hT when the caller asked for final states (streaming). */
export function recordFinalState(
  ctx: ForwardContext,
  index: number,
  h: Float32Array,
  h0: Float32Array | null,
  T: number,
  BH: number,
): void {
  if (!ctx.hT) return;
  ctx.hT[index] = T > 0 ? h.slice((T - 1) * BH, T * BH) : (h0 ?? new Float32Array(BH)).slice();
}

/** Registers u[H] with the authors' initialisation; returns it with its bound. */
export function addRecurrentWeight(
  store: ParamStore,
  name: string,
  size: number,
  opts: IndRNNOptions,
): { u: Param; bound: number } {
  const bound = recurrentBound(opts.mag, opts.seqLen);
  const lo = opts.last ? recurrentBound(1 / opts.mag, opts.seqLen) : 0;
  return { u: store.add(`${name}.u`, [size], 'recurrent', { kind: 'uniform', lo, hi: bound }, bound), bound };
}

/** The unfused layer: the reference that the fused recurrent unit (rec-unit.ts) is tested against. */
export class IndRNN implements Layer {
  readonly u: Param; // [H]
  readonly bound: number;
  private saved: { h: Seq; h0: Float32Array | null } | null = null;
  private h: Float32Array | null = null; // reused buffers (see reuse())
  private dz: Float32Array | null = null;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly size: number,
    /** Index of this layer's state in ForwardContext.h0 / hT. */
    readonly stateIndex: number,
    opts: IndRNNOptions,
  ) {
    ({ u: this.u, bound: this.bound } = addRecurrentWeight(store, name, size, opts));
  }

  async forward(z: Seq, ctx: ForwardContext): Promise<Seq> {
    const { T, B } = z;
    const H = this.size;
    if (z.C !== H) throw new RangeError(`${this.name}: input has ${z.C} channels, expected ${H}`);
    const h0 = initialState(ctx, this.stateIndex, this.name, B, H);
    this.h = reuse(this.h, T * B * H);
    const h = this.h;
    indrnnForward(h, z.data, this.u.value, h0, T, B, H);
    recordFinalState(ctx, this.stateIndex, h, h0, T, B * H);
    const out = seq(h, T, B, H);
    if (ctx.training) this.saved = { h: out, h0 };
    return out;
  }

  async backward(dh: Seq): Promise<Seq> {
    if (!this.saved) throw new Error(`${this.name}: backward without a training forward`);
    const { h, h0 } = this.saved;
    this.dz = reuse(this.dz, h.data.length);
    const dz = this.dz;
    indrnnBackward(dz, this.u.grad, null, dh.data, h.data, this.u.value, h0, h.T, h.B, h.C);
    this.saved = null;
    return seq(dz, h.T, h.B, h.C);
  }
}
