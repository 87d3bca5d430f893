// Inference-time simplification of a trained network: dropout vanishes and every batch norm, being an
// affine map per channel in eval mode, folds into the Linear that follows it. What is left per IndRNN
// layer is one projection over all time steps plus the elementwise recurrence (docs/design.md).
import { BN_EPS, batchnormEvalAffine } from '../nn/layers/batchnorm.js';
import { type NetworkConfig, recurrentLayerCount } from '../nn/network.js';
import type { ParamStore } from '../nn/params.js';

/** y = x · weight + bias, weight [I, O]. */
export interface DenseWeights {
  weight: Float32Array;
  bias: Float32Array;
  inSize: number;
  outSize: number;
}

/** One IndRNN layer: z = proj(input); h_t = relu(z_t + u ⊙ h_{t-1}). */
export interface FoldedRecurrent {
  proj: DenseWeights;
  u: Float32Array; // [H]
}

/**
 * plain: layers[i] = { proj, u }, input of layer i is h of layer i-1.
 * residual: stem = fc0; blocks: { rec1 = {proj: identity, u}, rec2 = {proj: fc1 ∘ bn1, u}, out: fc2 ∘ bn2 },
 *   x <- x + out(h of rec2); the rec1 input is x itself (no projection).
 */
export type FoldedNetwork =
  | { arch: 'plain'; layers: FoldedRecurrent[]; classifier: DenseWeights; config: NetworkConfig }
  | {
      arch: 'residual';
      stem: DenseWeights;
      blocks: { u1: Float32Array; inner: FoldedRecurrent; out: DenseWeights }[];
      finalU: Float32Array;
      classifier: DenseWeights;
      config: NetworkConfig;
    };

function dense(store: ParamStore, name: string): DenseWeights {
  const w = store.get(`${name}.weight`);
  return {
    weight: w.value.slice(),
    bias: store.get(`${name}.bias`).value.slice(),
    inSize: w.shape[0],
    outSize: w.shape[1],
  };
}

/** Folds the eval-mode batch norm `bnName` (if the network has one) into the Linear after it. */
function foldBatchNorm(store: ParamStore, bnName: string, next: DenseWeights): DenseWeights {
  if (!store.has(`${bnName}.gamma`)) return next;
  const { scale, shift } = batchnormEvalAffine(
    store.get(`${bnName}.gamma`).value,
    store.get(`${bnName}.beta`).value,
    store.get(`${bnName}.running_mean`).value,
    store.get(`${bnName}.running_var`).value,
    BN_EPS,
  );
  // (h * scale + shift) · W + b = h · (diag(scale) W) + (shift · W + b)
  const { inSize: I, outSize: O } = next;
  const weight = new Float32Array(I * O);
  const bias = Float32Array.from(next.bias);
  for (let i = 0; i < I; i++) {
    for (let o = 0; o < O; o++) {
      weight[i * O + o] = scale[i] * next.weight[i * O + o];
      bias[o] += shift[i] * next.weight[i * O + o];
    }
  }
  return { weight, bias, inSize: I, outSize: O };
}

const u = (store: ParamStore, name: string) => store.get(`${name}.u`).value.slice();

export function foldNetwork(config: NetworkConfig, store: ParamStore): FoldedNetwork {
  if (config.arch === 'plain') {
    const layers: FoldedRecurrent[] = [];
    for (let i = 0; i < config.depth; i++) {
      const fc = dense(store, `layers.${i}.fc`);
      layers.push({
        proj: i === 0 ? fc : foldBatchNorm(store, `layers.${i - 1}.bn`, fc),
        u: u(store, `layers.${i}.rec`),
      });
    }
    const classifier = foldBatchNorm(store, `layers.${config.depth - 1}.bn`, dense(store, 'classifier'));
    return { arch: 'plain', layers, classifier, config };
  }
  const blocks = [];
  for (let i = 0; i < config.depth; i++) {
    const p = `blocks.${i}`;
    blocks.push({
      u1: u(store, `${p}.rec1`),
      inner: { proj: foldBatchNorm(store, `${p}.bn1`, dense(store, `${p}.fc1`)), u: u(store, `${p}.rec2`) },
      out: foldBatchNorm(store, `${p}.bn2`, dense(store, `${p}.fc2`)),
    });
  }
  const folded: FoldedNetwork = {
    arch: 'residual',
    stem: dense(store, 'fc0'),
    blocks,
    finalU: u(store, 'final.rec'),
    classifier: foldBatchNorm(store, 'final.bn', dense(store, 'classifier')),
    config,
  };
  if (2 * blocks.length + 1 !== recurrentLayerCount(config)) throw new Error('internal: residual layer count mismatch');
  return folded;
}
