// The registry of architectures and the serialisable config they are built from. Each entry writes its
// network once, as a program (program.ts): the training layers, the batch-norm fold and the ONNX graph all
// follow it, so a new architecture is one entry here plus its tests (test/nn-architectures.test.ts
// registers one from a test). The readout and the classifier after an entry's trunk are the same for all.
import { Program } from './program.js';

export interface NetworkConfig {
  /** A name in the registry below ('plain', 'residual', 'dense'). */
  arch: string;
  inputSize: number; // I
  hiddenSize: number; // H
  /**
   * plain: number of IndRNN layers; residual: number of residual blocks (2 IndRNN layers each); dense: number
   * of dense blocks (DENSE_BLOCK_LAYERS + 1 IndRNN layers each, after a stem layer).
   */
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
  /**
   * Training only: the lowest N IndRNN layers, with every op before them in the program (their input
   * Linears, their batch norms), stay fixed: no gradient, no optimiser update, batch norm on its running
   * statistics, no dropout (transfer learning, `indrnn train --init FILE --freeze N`). Absent or 0: none.
   */
  frozenLayers?: number;
}

/** An architecture: its trunk, input [T, B, I] -> features, as ops in the order of their parameters. */
export interface Architecture {
  trunk(p: Program, c: NetworkConfig): number;
}

const registry = new Map<string, Architecture>();

/** Adds an architecture under `name`, the NetworkConfig.arch that checkpoints and model files keep. */
export function registerArchitecture(name: string, arch: Architecture): void {
  if (registry.has(name)) throw new Error(`architecture ${name} is already registered`);
  registry.set(name, arch);
}

// N x { Linear -> IndRec -> BN -> drop }
registerArchitecture('plain', {
  trunk(p, c) {
    let h = p.input;
    for (let i = 0; i < c.depth; i++) h = p.recurrent(p.linear(h, `layers.${i}.fc`, c.hiddenSize), `layers.${i}`);
    return h;
  },
});

// fc0 -> N x { x + fc2(drop(BN(IndRec(fc1(drop(BN(IndRec(x)))))))) } -> IndRec -> BN -> drop: the authors'
// pre-activation res-IndRNN
registerArchitecture('residual', {
  trunk(p, c) {
    let x = p.linear(p.input, 'fc0', c.hiddenSize);
    for (let i = 0; i < c.depth; i++) {
      const [b, H] = [`blocks.${i}`, c.hiddenSize];
      const h = p.recurrent(p.linear(p.recurrent(x, b, '1'), `${b}.fc1`, H), b, '2');
      x = p.add(x, p.linear(h, `${b}.fc2`, H), `${b}.out`);
    }
    return p.recurrent(x, 'final');
  },
});

/** IndRNN layers per dense block of the 'dense' architecture. */
export const DENSE_BLOCK_LAYERS = 3;

// fc0 -> IndRec -> N x { dense block: 3 x { Linear(concat of the block's input and its earlier layers) ->
// IndRec -> BN -> drop }, transition: Linear(concat of all) -> IndRec -> BN -> drop }: the densely connected
// IndRNN of the authors' follow-up (Li et al., "Deep Independently Recurrent Neural Network (IndRNN)", 2019),
// with a growth rate of H (h0/hT [L, B, H] wants every IndRNN layer H wide) and one IndRNN per dense layer.
registerArchitecture('dense', {
  trunk(p, c) {
    const H = c.hiddenSize;
    let x = p.recurrent(p.linear(p.input, 'fc0', H), 'stem');
    for (let i = 0; i < c.depth; i++) {
      const features = [x];
      for (let j = 0; j < DENSE_BLOCK_LAYERS; j++) {
        const b = `blocks.${i}.layers.${j}`;
        const input = features.length === 1 ? x : p.concat(features, `${b}.in`);
        features.push(p.recurrent(p.linear(input, `${b}.fc`, H), b));
      }
      const t = `blocks.${i}.transition`;
      x = p.recurrent(p.linear(p.concat(features, `${t}.in`), `${t}.fc`, H), t);
    }
    return x;
  },
});

export function architectureNames(): string[] {
  return [...registry.keys()];
}

function architecture(name: string): Architecture {
  const arch = registry.get(name);
  if (!arch) throw new RangeError(`network arch must be one of ${architectureNames().join(', ')}, got ${name}`);
  return arch;
}

/** The whole network: the architecture's trunk, the readout, then the classifier. */
export function describeNetwork(c: NetworkConfig): Program {
  const p = new Program(c.inputSize, c.inputInitStd ? { std: c.inputInitStd } : 'indrnn-input');
  const features = architecture(c.arch).trunk(p, c);
  const readout = c.readout === 'last' ? p.lastStep(features) : features;
  p.output = p.linear(readout, 'classifier', c.numOutputs, 'kaiming-normal');
  for (const op of p.ops) {
    if (op.kind === 'recurrent' && p.sizes[op.output] !== c.hiddenSize)
      throw new RangeError(`${op.rec} is not ${c.hiddenSize} wide: h0/hT [L, B, H] needs every IndRNN layer H wide`);
  }
  if ((c.frozenLayers ?? 0) > p.states)
    throw new RangeError(`cannot freeze ${c.frozenLayers} IndRNN layers: the network has ${p.states}`);
  return p;
}

/** Ops of the program that `frozenLayers` keeps fixed: every op up to and including the N-th recurrent one. */
export function frozenOpCount(p: Program, frozenLayers: number): number {
  if (frozenLayers <= 0) return 0;
  const i = p.ops.findIndex((op) => op.kind === 'recurrent' && op.state === frozenLayers - 1);
  return i + 1;
}

/** Number of IndRNN layers, i.e. of recurrent states L in h0/hT [L, B, H]. */
export function recurrentLayerCount(c: NetworkConfig): number {
  return describeNetwork(c).states;
}

/** Far above any trained IndRNN (the papers go to 21 layers); bounds the program a config builds. */
const MAX_DEPTH = 10_000;

export function validateNetworkConfig(c: NetworkConfig): void {
  const positive: (keyof NetworkConfig)[] = ['inputSize', 'hiddenSize', 'depth', 'numOutputs', 'seqLen'];
  for (const k of positive) {
    const v = c[k];
    if (!Number.isInteger(v) || (v as number) < 1)
      throw new RangeError(`network ${k} must be a positive integer, got ${v}`);
  }
  // The program is built before any parameter is counted: a depth from a tampered file must not build a
  // billion ops first (the store then refuses what the file cannot hold).
  if (c.depth > MAX_DEPTH) throw new RangeError(`network depth must be at most ${MAX_DEPTH}, got ${c.depth}`);
  architecture(c.arch);
  if (c.readout !== 'last' && c.readout !== 'all')
    throw new RangeError(`network readout must be last or all, got ${c.readout}`);
  if (!(c.mag > 1)) throw new RangeError(`network mag must be > 1, got ${c.mag}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`network dropout must be in [0, 1), got ${c.dropout}`);
  if (c.frozenLayers !== undefined && !(Number.isInteger(c.frozenLayers) && c.frozenLayers >= 0))
    throw new RangeError(`network frozenLayers must be a whole number, got ${c.frozenLayers}`);
  if (c.inputInitStd !== undefined && !(c.inputInitStd >= 0 && c.inputInitStd < 10))
    throw new RangeError(`network inputInitStd must be in [0, 10), got ${c.inputInitStd}`);
}
