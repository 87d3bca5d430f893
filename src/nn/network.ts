// Plain stacked and residual IndRNN networks, built from one serialisable config.
//   plain:    N x { Linear -> IndRec -> BN -> drop } -> readout -> classifier
//   residual: fc0 -> N x { x + fc2(drop(BN(IndRec(fc1(drop(BN(IndRec(x)))))))) } -> IndRec -> BN -> drop
//             -> readout -> classifier        (the authors' pre-activation res-IndRNN)

import type { Backend } from './backend.js';
import { LastStep, Residual, Sequential } from './layers/composite.js';
import { Linear, type LinearInit } from './layers/linear.js';
import { RecUnit } from './layers/rec-unit.js';
import { ParamStore } from './params.js';
import type { ForwardContext, Layer, Seq } from './seq.js';

export interface NetworkConfig {
  arch: 'plain' | 'residual';
  inputSize: number; // I
  hiddenSize: number; // H
  /** plain: number of IndRNN layers; residual: number of residual blocks (2 IndRNN layers each). */
  depth: number;
  numOutputs: number; // K
  /** 'last': logits of the last step only [1, B, K]; 'all': per-step logits [T, B, K]. */
  readout: 'last' | 'all';
  dropout: number;
  batchNorm: boolean;
  /** Recurrent bound U_bound = mag^(1/seqLen). */
  mag: number;
  seqLen: number;
  /** Clip every u to [-U_bound, U_bound] after each optimiser step. */
  clipRecurrent: boolean;
  /**
   * Input weights of the IndRNN layers ~ N(0, std²) instead of kaiming-uniform (a = 8). Without batch
   * norm over thousands of steps, u near 1 sums its inputs over the whole sequence; the authors' adding
   * code starts them tiny (0.001) so that the sum starts near 0. Absent or 0: the default.
   */
  inputInitStd?: number;
}

export function validateNetworkConfig(c: NetworkConfig): void {
  const positive: (keyof NetworkConfig)[] = ['inputSize', 'hiddenSize', 'depth', 'numOutputs', 'seqLen'];
  for (const k of positive) {
    const v = c[k];
    if (!Number.isInteger(v) || (v as number) < 1)
      throw new RangeError(`network ${k} must be a positive integer, got ${v}`);
  }
  if (c.arch !== 'plain' && c.arch !== 'residual')
    throw new RangeError(`network arch must be plain or residual, got ${c.arch}`);
  if (c.readout !== 'last' && c.readout !== 'all')
    throw new RangeError(`network readout must be last or all, got ${c.readout}`);
  if (!(c.mag > 1)) throw new RangeError(`network mag must be > 1, got ${c.mag}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`network dropout must be in [0, 1), got ${c.dropout}`);
  if (c.inputInitStd !== undefined && !(c.inputInitStd >= 0 && c.inputInitStd < 10))
    throw new RangeError(`network inputInitStd must be in [0, 10), got ${c.inputInitStd}`);
}

/** Number of IndRNN layers, i.e. of recurrent states L in h0/hT [L, B, H]. */
export function recurrentLayerCount(c: NetworkConfig): number {
  return c.arch === 'plain' ? c.depth : 2 * c.depth + 1;
}

export class Network implements Layer {
  readonly store: ParamStore;
  readonly body: Sequential;
  /** The IndRNN layers in order; unit i owns state i of h0/hT. */
  readonly recurrent: RecUnit[] = [];

  /** `maxParams`: most parameter values the config may ask for (ParamStore), e.g. those a checkpoint holds. */
  constructor(
    readonly config: NetworkConfig,
    mm: Backend,
    maxParams = Number.POSITIVE_INFINITY,
  ) {
    validateNetworkConfig(config);
    this.store = new ParamStore(maxParams);
    const c = config;
    const L = recurrentLayerCount(c);
    // IndRec -> BN -> drop, the unit both architectures repeat (fused: see rec-unit.ts).
    const recUnit = (prefix: string, suffix = ''): Layer => {
      const unit = new RecUnit(
        this.store,
        `${prefix}.rec${suffix}`,
        `${prefix}.bn${suffix}`,
        c.hiddenSize,
        this.recurrent.length,
        {
          mag: c.mag,
          seqLen: c.seqLen,
          last: this.recurrent.length === L - 1,
          batchNorm: c.batchNorm,
          dropout: c.dropout,
        },
        mm,
      );
      this.recurrent.push(unit);
      return unit;
    };
    const H = c.hiddenSize;
    const inputInit: LinearInit = c.inputInitStd ? { std: c.inputInitStd } : 'indrnn-input';
    const layers: Layer[] = [];
    if (c.arch === 'plain') {
      for (let i = 0; i < c.depth; i++) {
        const inSize = i === 0 ? c.inputSize : H;
        layers.push(new Linear(this.store, `layers.${i}.fc`, inSize, H, mm, inputInit, i > 0), recUnit(`layers.${i}`));
      }
    } else {
      layers.push(new Linear(this.store, 'fc0', c.inputSize, H, mm, inputInit, false));
      for (let i = 0; i < c.depth; i++) {
        const p = `blocks.${i}`;
        const body = new Sequential([
          recUnit(p, '1'),
          new Linear(this.store, `${p}.fc1`, H, H, mm, inputInit),
          recUnit(p, '2'),
          new Linear(this.store, `${p}.fc2`, H, H, mm, inputInit),
        ]);
        layers.push(new Residual(body, mm));
      }
      layers.push(recUnit('final'));
    }
    if (c.readout === 'last') layers.push(new LastStep());
    layers.push(new Linear(this.store, 'classifier', H, c.numOutputs, mm, 'kaiming-normal'));
    this.body = new Sequential(layers);
    this.store.allocate();
  }

  /** x[T, B, I] -> logits [T, B, K] ('all') or [1, B, K] ('last'); a fresh array the caller owns. */
  async forward(x: Seq, ctx: ForwardContext): Promise<Seq> {
    if (x.C !== this.config.inputSize) {
      throw new RangeError(`input has ${x.C} values per frame, the network expects ${this.config.inputSize}`);
    }
    const y = await this.body.forward(x, ctx);
    return { ...y, data: y.data.slice() }; // layers reuse their buffers; logits are small
  }

  backward(dLogits: Seq): Promise<Seq> {
    return this.body.backward(dLogits);
  }

  /** Keeps |u| <= U_bound (the authors' optional constraint), applied after each optimiser step. */
  clipRecurrentWeights(): void {
    if (!this.config.clipRecurrent) return;
    for (const layer of this.recurrent) {
      const u = layer.u.value;
      const b = layer.bound;
      for (let i = 0; i < u.length; i++) u[i] = u[i] > b ? b : Math.max(u[i], -b);
    }
  }
}
