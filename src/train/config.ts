// The complete, serialisable description of a training run (stored in every checkpoint), as the schema
// a checkpoint's config is read through (train/checkpoint.ts; the task's options are checked there too).
import { z } from 'zod';
import { type NetworkConfig, validateNetworkConfig } from '../nn/network.js';

const count = z.number().int().min(1);

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }),
  /** lr = base * gamma^floor(step / every). */
  z.object({ kind: z.literal('step'), every: count, gamma: z.number() }),
  /** After `patience` evaluations without improvement: restore the best weights, lr /= factor; stop below minLr. */
  z.object({ kind: z.literal('plateau'), patience: count, factor: z.number(), minLr: z.number() }),
]);
export type ScheduleConfig = z.infer<typeof scheduleSchema>;

/** A task and its options as its options schema gave them (tasks/index.ts), read through it again when used. */
export const taskSpecSchema = z.object({ name: z.string(), options: z.record(z.string(), z.unknown()) });
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** A network's config: its types here, its values checked by the architecture registry (nn/architectures.ts). */
const [n, flag] = [z.number(), z.boolean()];
const networkConfigSchema = z
  .object({ arch: z.string(), inputSize: n, hiddenSize: n, depth: n, numOutputs: n, readout: z.enum(['last', 'all']) })
  .extend({
    dropout: n,
    batchNorm: flag,
    mag: n,
    seqLen: n,
    clipRecurrent: flag,
    inputInitStd: n.optional(),
    frozenLayers: n.optional(),
  })
  .check((ctx) => {
    try {
      validateNetworkConfig(ctx.value);
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: (e as Error).message, input: ctx.value });
    }
  }) satisfies z.ZodType<NetworkConfig>;

export const trainConfigSchema = z.object({
  task: taskSpecSchema,
  network: networkConfigSchema,
  optimizer: z.object({ lr: z.number(), weightDecay: z.number(), gradClip: z.number() }),
  schedule: scheduleSchema,
  batchSize: count,
  steps: z.number().int().min(0),
  evalEvery: count,
  evalBatchSize: count,
  /**
   * Before each evaluation, replace the batch-norm running statistics by the plain average of the batch
   * statistics of this many recent training batches, computed with the current weights (0 or absent: keep
   * the running averages). See Trainer.calibrateBatchNorm.
   */
  bnCalibrationBatches: z.number().int().min(0).optional(),
  /**
   * Data-parallel shards of each batch (at most the batch size): each shard's replica runs on one core;
   * `--threads` only places them, so the weights do not depend on the thread count. Absent: 1 (runs
   * from before shards). Kept from the checkpoint on resume.
   */
  shards: count.optional(),
  /** Stop early once the held-out metric reaches this (accuracy >= target, or MSE <= target). */
  target: z.number().optional(),
  /**
   * Transfer learning (`--init`): the checkpoint or exported model the run started from (its trunk's weights;
   * train/init.ts). Only read when a run starts, not on resume (the checkpoint holds the weights then).
   */
  init: z.string().optional(),
  seed: z.number().int(),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;
