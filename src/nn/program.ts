// A network's dataflow as data: ops over numbered values (0 is the input x [T, B, I]), in the order their
// parameters are created. The training network (network.ts), the batch-norm fold (export/fold.ts) and the
// ONNX writer (export/loop-graph.ts) each walk this one list; architectures.ts writes it per architecture. A
// parameter name is written in the op that owns it and nowhere else.
import type { LinearInit } from './layers/linear.js';

/** An op reads values `inputs` and makes value `output`; its shapes are the program's `sizes` of those. */
export type Op =
  /** y = x · W + b: parameters `${name}.weight` [in, out] and `${name}.bias`. */
  | { kind: 'linear'; inputs: [number]; output: number; name: string; init: LinearInit }
  /** IndRec -> BN -> dropout (RecUnit): `${rec}.u`, `${bn}.gamma` ...; `state`: its index in h0/hT. */
  | { kind: 'recurrent'; inputs: [number]; output: number; rec: string; bn: string; state: number }
  /** [T, B, C] -> [1, B, C]: the 'last' readout, in training only (the exported graph gives every step). */
  | { kind: 'lastStep'; inputs: [number]; output: number }
  /** The elementwise sum of two values of one size. */
  | { kind: 'add'; inputs: number[]; output: number; name: string }
  /** The inputs' channels side by side. */
  | { kind: 'concat'; inputs: number[]; output: number; name: string };

/** A program, written by an architecture with one method per op; each returns the id of the value it makes. */
export class Program {
  readonly input = 0;
  readonly ops: Op[] = [];
  /** Channels per time step of each value, by id. */
  readonly sizes: number[];
  /** The value the network gives (its logits). */
  output = -1;
  /** Recurrent ops so far, i.e. states L of h0/hT [L, B, H]. */
  states = 0;

  /** `init`: that of every Linear not given one. */
  constructor(
    inputSize: number,
    private readonly init: LinearInit,
  ) {
    this.sizes = [inputSize];
  }

  private push(op: Op, size: number): number {
    this.ops.push(op);
    this.sizes.push(size);
    return op.output;
  }

  linear(x: number, name: string, outSize: number, init = this.init): number {
    return this.push({ kind: 'linear', inputs: [x], output: this.sizes.length, name, init }, outSize);
  }

  /** The recurrent unit with parameters `${prefix}.rec${suffix}` and `${prefix}.bn${suffix}`. */
  recurrent(x: number, prefix: string, suffix = ''): number {
    const [rec, bn, state] = [`${prefix}.rec${suffix}`, `${prefix}.bn${suffix}`, this.states++];
    return this.push({ kind: 'recurrent', inputs: [x], output: this.sizes.length, rec, bn, state }, this.sizes[x]);
  }

  lastStep(x: number): number {
    return this.push({ kind: 'lastStep', inputs: [x], output: this.sizes.length }, this.sizes[x]);
  }

  add(a: number, b: number, name: string): number {
    const [A, B] = [this.sizes[a], this.sizes[b]];
    if (A !== B) throw new RangeError(`${name}: cannot add ${B} channels to ${A}`);
    return this.push({ kind: 'add', inputs: [a, b], output: this.sizes.length, name }, A);
  }

  concat(xs: number[], name: string): number {
    const size = xs.reduce((sum, x) => sum + this.sizes[x], 0);
    return this.push({ kind: 'concat', inputs: [...xs], output: this.sizes.length, name }, size);
  }
}
