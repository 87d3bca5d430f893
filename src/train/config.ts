// The complete, serialisable description of a training run (stored in every checkpoint).
import type { AdamOptions } from '../nn/adam.js';
import type { NetworkConfig } from '../nn/network.js';

export type ScheduleConfig =
  | { kind: 'constant' }
  /** lr = base * gamma^floor(step / every). */
  | { kind: 'step'; every: number; gamma: number }
  /** After `patience` evaluations without improvement: restore the best weights, lr /= factor; stop below minLr. */
  | { kind: 'plateau'; patience: number; factor: number; minLr: number };

/** A task and its options as its options schema gave them (tasks/index.ts), read through it again when used. */
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
  /**
   * Before each evaluation, replace the batch-norm running statistics by the plain average of the batch
   * statistics of this many recent training batches, computed with the current weights (0 or absent: keep
   * the running averages). See Trainer.calibrateBatchNorm.
   */
  bnCalibrationBatches?: number;
  /**
   * Data-parallel shards of each batch (at most the batch size): each shard's replica runs on one core;
   * `--threads` only places them, so the weights do not depend on the thread count. Absent: 1 (runs
   * from before shards). Kept from the checkpoint on resume.
   */
  shards?: number;
  /** Stop early once the held-out metric reaches this (accuracy >= target, or MSE <= target). */
  target?: number;
  seed: number;
}
