// Inference-time simplification of a trained network: dropout vanishes and every batch norm, being an
// affine map per channel in eval mode, folds into the Linear that reads it (through concats, too). What is
// left per IndRNN layer is one projection over all time steps plus the elementwise recurrence
// (docs/design.md). It walks the architecture's program (nn/program.ts) and knows no architecture.
import { describeNetwork, type NetworkConfig } from '../nn/architectures.js';
import { BN_EPS, batchnormEvalAffine } from '../nn/layers/batchnorm.js';
import type { ParamStore } from '../nn/params.js';
import type { Op } from '../nn/program.js';

/** y = x · weight + bias, weight [I, O]. */
export interface DenseWeights {
  weight: Float32Array;
  bias: Float32Array;
  inSize: number;
  outSize: number;
}

/** The program's ops at inference, over its value ids (0 is x); the 'last' readout is gone (every step is kept). */
export type FoldedOp =
  | { kind: 'dense'; inputs: number[]; output: number; name: string; weights: DenseWeights }
  /** h_t = relu(z_t + u ⊙ h_{t-1}), z the input; `state`: its index in h0/hT. */
  | { kind: 'recurrent'; inputs: number[]; output: number; state: number; u: Float32Array }
  | Extract<Op, { kind: 'add' | 'concat' }>
  /** Ensembles only: the mean over `inputs` (each member's logits) of LogSoftmax along the class axis. */
  | { kind: 'logSoftmaxMean'; inputs: number[]; output: number; name: string };

export interface FoldedNetwork {
  config: NetworkConfig;
  ops: FoldedOp[];
  output: number; // the logits' value
}

/** x * scale + shift per channel: an eval-mode batch norm, until it folds. */
type Affine = { scale: Float32Array; shift: Float32Array } | null;

function dense(store: ParamStore, name: string): DenseWeights {
  const w = store.get(`${name}.weight`);
  const bias = store.get(`${name}.bias`).value.slice();
  return { weight: w.value.slice(), bias, inSize: w.shape[0], outSize: w.shape[1] };
}

/** The eval-mode batch norm `bnName`, or null if the network has none. */
function batchNorm(store: ParamStore, bn: string): Affine {
  if (!store.has(`${bn}.gamma`)) return null;
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'running_mean', 'running_var'].map(
    (p) => store.get(`${bn}.${p}`).value,
  );
  return batchnormEvalAffine(gamma, beta, mean, variance, BN_EPS);
}

/** Folds the affine map on a Linear's input into the Linear. */
function foldAffine(a: Affine, next: DenseWeights): DenseWeights {
  if (!a) return next;
  // (h * scale + shift) · W + b = h · (diag(scale) W) + (shift · W + b)
  const { inSize: I, outSize: O } = next;
  const weight = new Float32Array(I * O);
  const bias = Float32Array.from(next.bias);
  for (let i = 0; i < I; i++) {
    for (let o = 0; o < O; o++) {
      weight[i * O + o] = a.scale[i] * next.weight[i * O + o];
      bias[o] += a.shift[i] * next.weight[i * O + o];
    }
  }
  return { weight, bias, inSize: I, outSize: O };
}

/** A concat's affine map: its inputs' side by side (the identity for an input without one). */
function concatAffines(affines: Affine[], sizes: number[]): Affine {
  if (!affines.some(Boolean)) return null;
  const C = sizes.reduce((a, b) => a + b, 0);
  const out = { scale: new Float32Array(C).fill(1), shift: new Float32Array(C) };
  let from = 0;
  affines.forEach((a, k) => {
    if (a) out.scale.set(a.scale, from);
    if (a) out.shift.set(a.shift, from);
    from += sizes[k];
  });
  return out;
}

export function foldNetwork(config: NetworkConfig, store: ParamStore): FoldedNetwork {
  const program = describeNetwork(config);
  const alias: number[] = []; // value -> the value it is at inference ('last' readout: its input)
  const pending: Affine[] = []; // value -> its batch norm, still to fold into a Linear
  const ops: FoldedOp[] = [];
  for (const op of program.ops) {
    const inputs = op.inputs.map((v) => alias[v] ?? v);
    const affines = inputs.map((v) => pending[v] ?? null);
    const { kind, output } = op;
    if (kind === 'lastStep') alias[output] = inputs[0];
    else if (kind === 'linear') {
      ops.push({
        kind: 'dense',
        inputs,
        output,
        name: op.name,
        weights: foldAffine(affines[0], dense(store, op.name)),
      });
    } else if (kind === 'concat') {
      pending[output] = concatAffines(
        affines,
        inputs.map((v) => program.sizes[v]),
      );
      ops.push({ ...op, inputs });
    } else if (affines.some(Boolean)) {
      throw new Error(`${kind === 'add' ? op.name : op.rec} reads a batch norm, which folds only into a Linear`);
    } else if (kind === 'add') ops.push({ ...op, inputs });
    else {
      ops.push({ kind, inputs, output, state: op.state, u: store.get(`${op.rec}.u`).value.slice() });
      pending[output] = batchNorm(store, op.bn);
    }
  }
  return { config, ops, output: program.output };
}

/** The value ids a network uses: 0 (x) up to its largest. */
function valueCount(net: FoldedNetwork): number {
  return net.ops.reduce((n, op) => Math.max(n, op.output + 1), net.output + 1);
}

/** A member's op with its values moved past the earlier members' (x, value 0, stays shared) and names prefixed. */
function memberOp(op: FoldedOp, offsets: { value: number; state: number }, prefix: string): FoldedOp {
  const move = (v: number) => (v === 0 ? 0 : v + offsets.value);
  const inputs = op.inputs.map(move);
  const output = move(op.output);
  if (op.kind === 'recurrent') return { kind: op.kind, inputs, output, state: op.state + offsets.state, u: op.u };
  if (op.kind === 'logSoftmaxMean') throw new Error('an ensemble cannot be a member of an ensemble');
  return { ...op, inputs, output, name: `${prefix}${op.name}` };
}

/**
 * Several networks over the same x as one: each member's ops side by side (values and names of member i
 * prefixed `m<i>.`, its states after the earlier members', so h0/hT stack every member's layers in member
 * order), and as output the mean over members of LogSoftmax(member logits): a geometric mean of their
 * probabilities, whose softmax is what clients get. The members must agree on input, state and output
 * sizes; their architectures and depths may differ. `config` is the first member's.
 */
export function ensemble(members: readonly FoldedNetwork[]): FoldedNetwork {
  if (members.length < 2) throw new Error(`an ensemble needs at least 2 members, got ${members.length}`);
  const first = members[0].config;
  const ops: FoldedOp[] = [];
  const outputs: number[] = [];
  const offsets = { value: 0, state: 0 };
  members.forEach((net, i) => {
    for (const key of ['inputSize', 'hiddenSize', 'numOutputs'] as const)
      if (net.config[key] !== first[key])
        throw new Error(`ensemble member ${i + 1}: ${key} ${net.config[key]}, member 1 has ${first[key]}`);
    for (const op of net.ops) ops.push(memberOp(op, offsets, `m${i + 1}.`));
    outputs.push(net.output + offsets.value);
    offsets.value += valueCount(net) - 1;
    offsets.state += net.ops.filter((op) => op.kind === 'recurrent').length;
  });
  const output = offsets.value + 1;
  ops.push({ kind: 'logSoftmaxMean', inputs: outputs, output, name: 'ensemble' });
  return { config: first, ops, output };
}
