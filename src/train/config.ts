// The complete, serialisable description of a training run (stored in every checkpoint).
import type { AdamOptions } from '../nn/adam.js';
import type { NetworkConfig } from '../nn/network.js';

export type ScheduleConfig =
  | { kind: 'constant' }
  /** lr = base * gamma^floor(step / every). */
  | { kind: 'step'; every: number; gamma: number }
  /** After `patience` evaluations without improvement: restore the best weights, lr /= factor; stop below minLr. */
  | { kind: 'plateau'; patience: number; factor: number; minLr: number };

export interface TaskSpec {
  name: string;
  options: Record<string, unknown>;
}

export interface TrainConfig {
  task: TaskSpec;
  network: NetworkConfig;
  optimizer: Pick<AdamOptions, 'lr' | 'weightDecay' | 'gradClip'>;
  schedule: ScheduleConfig;
  batchSize: number;
  steps: number;
  evalEvery: number;
  evalBatchSize: number;
  /** Stop early once the held-out metric reaches this (accuracy >= target, or MSE <= target). */
  target?: number;
  seed: number;
}
