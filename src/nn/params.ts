// All parameters and buffers of a network live in ONE Float32Array, with named, shaped views.
// The optimiser is one flat loop over it; checkpoints and the exporter walk the same ordered table.
import type { Rng } from '../util/rng.js';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'uniform'; lo: number; hi: number }
  | { kind: 'normal'; std: number };

/**
 * weight: input/classifier matrices (L2 weight decay applies); bias, bn: no decay;
 * recurrent: IndRNN `u` (no decay, optional clip to ±U_bound); buffer: BN running statistics (not trained).
 */
export type ParamRole = 'weight' | 'bias' | 'recurrent' | 'bn' | 'buffer';

export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly offset: number;
  readonly role: ParamRole;
  readonly init: Init;
  /** For recurrent weights: |u| <= bound when clipping is on. */
  readonly bound?: number;
  value: Float32Array; // view into store.data, valid after allocate()
  grad: Float32Array; // view into store.grad
  /**
   * True from zeroGrad until the layer that owns the parameter first accumulates into it: that layer
   * may then write its gradient instead of adding it to zeros (a copy instead of an add pass).
   */
  gradZeroed: boolean;
  /** Kept fixed in training (a frozen layer's: Network, NetworkConfig.frozenLayers): the optimiser skips it. */
  frozen: boolean;
}

export class ParamStore {
  readonly params: Param[] = [];
  data = new Float32Array(0);
  /** May be a view of a SharedArrayBuffer (useGrad); never passed to onnxruntime, which refuses those. */
  grad: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private byName = new Map<string, Param>();
  private total = 0;

  /**
   * @param maxValues most values the parameters may hold: a network built from a config read from a
   * file (a checkpoint's) stops at the first parameter past what the file can hold, before allocating.
   */
  constructor(private readonly maxValues = Number.POSITIVE_INFINITY) {}

  add(name: string, shape: readonly number[], role: ParamRole, init: Init, bound?: number): Param {
    if (this.byName.has(name)) throw new Error(`parameter ${name} is defined twice`);
    if (this.data.length > 0) throw new Error(`cannot add ${name}: store already allocated`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (this.total + size > this.maxValues)
      throw new RangeError(
        `the network needs more than ${this.maxValues} parameter values (${name} [${shape}] brings it to ${this.total + size})`,
      );
    const param: Param = {
      name,
      shape: [...shape],
      size,
      offset: this.total,
      role,
      init,
      bound,
      value: new Float32Array(0),
      grad: new Float32Array(0),
      gradZeroed: false,
      frozen: false,
    };
    this.total += size;
    this.params.push(param);
    this.byName.set(name, param);
    return param;
  }

  /** Creates the flat arrays and points every parameter's views into them. */
  allocate(): this {
    this.data = new Float32Array(this.total);
    this.grad = new Float32Array(this.total);
    for (const p of this.params) {
      p.value = this.data.subarray(p.offset, p.offset + p.size);
      p.grad = this.grad.subarray(p.offset, p.offset + p.size);
    }
    return this;
  }

  /**
   * Moves the gradients into `grad` (e.g. a view of a SharedArrayBuffer that other threads read) and
   * points every parameter's grad view there. Layers read param.grad when they accumulate, so this holds
   * from the next backward on.
   */
  useGrad(grad: Float32Array): void {
    if (grad.length !== this.total)
      throw new RangeError(`gradient buffer has ${grad.length} values, expected ${this.total}`);
    grad.set(this.grad);
    this.grad = grad;
    for (const p of this.params) p.grad = grad.subarray(p.offset, p.offset + p.size);
  }

  /** Fills every tensor from its init spec, in table order, from one seeded stream. */
  initialize(rng: Rng): void {
    for (const p of this.params) {
      const init = p.init;
      if (init.kind === 'zeros') p.value.fill(0);
      else if (init.kind === 'ones') p.value.fill(1);
      else if (init.kind === 'uniform') rng.fillUniform(p.value, init.lo, init.hi);
      else rng.fillNormal(p.value, 0, init.std);
    }
  }

  zeroGrad(): void {
    this.grad.fill(0);
    for (const p of this.params) p.gradZeroed = true;
  }

  get(name: string): Param {
    const p = this.byName.get(name);
    if (!p) throw new Error(`no parameter named ${name}`);
    return p;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Number of trainable values (buffers excluded). */
  trainableCount(): number {
    return this.params.filter((p) => p.role !== 'buffer').reduce((n, p) => n + p.size, 0);
  }
}
