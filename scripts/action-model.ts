// The authors' NTU action-recognition res-IndRNN that the benchmarks measure (docs/design.md): 5 residual
// blocks x 512, 150 inputs (2 bodies x 25 joints x xyz), 60 classes, T = 20.
import type { NetworkConfig } from '../src/nn/network.js';

export const ACTION_MODEL: NetworkConfig = {
  arch: 'residual',
  inputSize: 150,
  hiddenSize: 512,
  depth: 5,
  numOutputs: 60,
  readout: 'last',
  dropout: 0.25,
  batchNorm: true,
  mag: 5,
  seqLen: 20,
  clipRecurrent: true,
};
