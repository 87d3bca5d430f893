// The trainable network: one layer per op of its architecture's program (architectures.ts, program.ts),
// parameters in one store. Forward runs the ops in order, backward in reverse; a value that several ops
// read gets the sum of their gradients.
import { describeNetwork, frozenOpCount, type NetworkConfig, validateNetworkConfig } from './architectures.js';
import type { Backend } from './backend.js';
import { LastStep } from './layers/last-step.js';
import { Linear } from './layers/linear.js';
import { RecUnit } from './layers/rec-unit.js';
import { ParamStore } from './params.js';
import type { Program } from './program.js';
import { type ForwardContext, type Layer, reuse, type Seq, seq } from './seq.js';

export { type NetworkConfig, recurrentLayerCount, validateNetworkConfig } from './architectures.js';

export class Network implements Layer {
  readonly store: ParamStore;
  readonly program: Program;
  /** The IndRNN layers in order; unit i owns state i of h0/hT. */
  readonly recurrent: RecUnit[] = [];
  /**
   * Ops 0 .. frozenOps-1 are frozen (config.frozenLayers): they run as at inference even in training, get
   * no gradient (backward stops above them) and their parameters are marked frozen for the optimiser.
   */
  readonly frozenOps: number;
  /** Per op: its layer, or null for add and concat (done here). */
  private readonly layers: (Layer | null)[];
  // By value id: the last forward's values and their gradients; reused buffers (see reuse()) for the
  // outputs of add and concat, for summed gradients, and per concat for each input's gradient.
  private readonly values: Seq[] = [];
  private readonly grads: (Seq | undefined)[] = [];
  private readonly outs: (Float32Array | null)[] = [];
  private readonly sums: (Float32Array | null)[] = [];
  private readonly parts: (Float32Array | null)[][] = [];

  /** `maxParams`: most parameter values the config may ask for (ParamStore), e.g. those a checkpoint holds. */
  constructor(
    readonly config: NetworkConfig,
    private readonly mm: Backend,
    maxParams = Number.POSITIVE_INFINITY,
  ) {
    validateNetworkConfig(config);
    this.store = new ParamStore(maxParams);
    const c = config;
    const p = describeNetwork(c);
    this.program = p;
    const frozenOps = frozenOpCount(p, c.frozenLayers ?? 0);
    this.frozenOps = frozenOps;
    let frozenParams = 0;
    // Made in the program's order, which is the order of the parameters in the store (and checkpoints).
    this.layers = p.ops.map((op, i): Layer | null => {
      if (i === frozenOps) frozenParams = this.store.params.length;
      const [inSize, size] = [p.sizes[op.inputs[0]], p.sizes[op.output]];
      // A Linear that reads the data (or a frozen op's value: op i makes value i + 1) skips dx.
      if (op.kind === 'linear')
        return new Linear(this.store, op.name, inSize, size, mm, op.init, op.inputs[0] > frozenOps);
      if (op.kind === 'lastStep') return new LastStep();
      if (op.kind !== 'recurrent') return null;
      const last = op.state === p.states - 1;
      const opts = { mag: c.mag, seqLen: c.seqLen, last, batchNorm: c.batchNorm, dropout: c.dropout };
      const unit = new RecUnit(this.store, op.rec, op.bn, size, op.state, opts, mm);
      this.recurrent.push(unit);
      return unit;
    });
    for (let k = 0; k < frozenParams; k++) this.store.params[k].frozen = true;
    this.store.allocate();
  }

  /** x[T, B, I] -> logits [T, B, K] ('all') or [1, B, K] ('last'); a fresh array the caller owns. */
  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    if (x.C !== this.config.inputSize) {
      throw new RangeError(`input has ${x.C} values per frame, the network expects ${this.config.inputSize}`);
    }
    const { ops, sizes, output } = this.program;
    const v = this.values;
    v[0] = x;
    // Frozen ops run as at inference: no dropout, batch norm on its running statistics, left alone by calibration.
    const frozenCtx: ForwardContext = this.frozenOps > 0 ? { training: false, h0: ctx.h0, hT: ctx.hT } : ctx;
    for (let i = 0; i < ops.length; i++) {
      const [op, layer, a] = [ops[i], this.layers[i], v[ops[i].inputs[0]]];
      if (layer) {
        v[op.output] = await layer.forward(a, i < this.frozenOps ? frozenCtx : ctx);
        continue;
      }
      const [N, C] = [a.T * a.B, sizes[op.output]];
      const y = reuse(this.outs[op.output] ?? null, N * C);
      this.outs[op.output] = y;
      if (op.kind === 'add') await this.mm.add(y, a.data, v[op.inputs[1]].data);
      else {
        let from = 0; // concat: each input's channels next to the previous input's, row by row
        for (const id of op.inputs) {
          const { data, C: Ci } = v[id];
          for (let r = 0; r < N; r++) for (let k = 0; k < Ci; k++) y[r * C + from + k] = data[r * Ci + k];
          from += Ci;
        }
      }
      v[op.output] = seq(y, a.T, a.B, C);
    }
    const y = v[output];
    return { ...y, data: y.data.slice() }; // layers reuse their buffers; logits are small
  }

  async backward(dLogits: Seq): Promise<Seq> {
    const { ops, sizes, output } = this.program;
    this.grads.fill(undefined);
    this.grads[output] = dLogits;
    for (let i = ops.length - 1; i >= this.frozenOps; i--) {
      const [op, layer, d] = [ops[i], this.layers[i], this.grads[ops[i].output]];
      if (!d) throw new Error(`internal: value ${op.output} has no gradient`);
      if (layer) await this.accumulate(op.inputs[0], await layer.backward(d));
      else if (op.kind === 'add') for (const id of op.inputs) await this.accumulate(id, d);
      else {
        const parts = this.parts[op.output] ?? [];
        this.parts[op.output] = parts;
        let from = 0;
        for (const [j, id] of op.inputs.entries()) {
          const [N, Ci] = [d.T * d.B, sizes[id]];
          const dx = reuse(parts[j] ?? null, N * Ci);
          parts[j] = dx;
          for (let r = 0; r < N; r++) for (let k = 0; k < Ci; k++) dx[r * Ci + k] = d.data[r * d.C + from + k];
          from += Ci;
          await this.accumulate(id, seq(dx, d.T, d.B, Ci));
        }
      }
    }
    return this.grads[0]!;
  }

  /** Adds d to value v's gradient; the first one is kept as it is (the buffer of the op that made it). */
  private async accumulate(v: number, d: Seq): Promise<void> {
    const prev = this.grads[v];
    if (!prev) {
      this.grads[v] = d;
      return;
    }
    const sum = reuse(this.sums[v] ?? null, d.data.length);
    this.sums[v] = sum;
    if (prev.data === sum) for (let j = 0; j < sum.length; j++) sum[j] += d.data[j];
    else await this.mm.add(sum, prev.data, d.data);
    this.grads[v] = seq(sum, d.T, d.B, d.C);
  }

  /** Keeps |u| <= U_bound (the authors' optional constraint), applied after each optimiser step. */
  clipRecurrentWeights(): void {
    if (!this.config.clipRecurrent) return;
    for (const layer of this.recurrent) {
      if (layer.u.frozen) continue;
      const u = layer.u.value;
      const b = layer.bound;
      for (let i = 0; i < u.length; i++) u[i] = u[i] > b ? b : Math.max(u[i], -b);
    }
  }
}
