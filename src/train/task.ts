// What a training task provides. Adding a task is one file implementing this (see tasks/).
import type { NetworkConfig } from '../nn/network.js';
import type { Seq } from '../nn/seq.js';
import type { ModelContract } from '../onnx/metadata.js';
import type { ScheduleConfig, TrainConfig } from './config.js';

export interface Batch {
  x: Seq; // [T, B, I]
  /** Classification: one class per sequence [B]. */
  labels?: Int32Array;
  /** Classification of streams: a class per frame [T, B] (-1 = unlabelled frame, ignored). */
  frameLabels?: Int32Array;
  /** Regression: one target per sequence [B]. */
  values?: Float32Array;
}

/** The held-out parts a task evaluates on. */
export type EvalPart = 'validation' | 'test';

export interface Task {
  readonly name: string;
  readonly kind: 'classification' | 'regression';
  readonly inputSize: number; // I
  readonly numOutputs: number; // K (1 for regression)
  /** Typical sequence length: the T in the recurrent bound MAG^(1/T). */
  readonly seqLen: number;
  readonly labels?: readonly string[];
  /** The readout the task's targets are made for ('all': a label at every step), when it matters. */
  readonly readout?: 'last' | 'all';
  /** Problems with the data worth telling the user before training (e.g. a class with no training sample). */
  readonly warnings?: readonly string[];
  /**
   * The training batch of a given step: a pure function of (task seed, step), so a resumed run sees
   * exactly the batches an uninterrupted run would have seen.
   */
  trainBatch(step: number, batchSize: number): Batch;
  /**
   * A fixed held-out part, in batches: 'test' (the default) or 'validation', a part kept out of training
   * to choose weights and recipes on, so that the test part is read once, at the end (only when
   * `hasValidation`).
   */
  evalBatches(batchSize: number, part?: EvalPart): Iterable<Batch>;
  /** Whether the task has a validation part; without one, the trainer selects on the test part (the old way). */
  readonly hasValidation: boolean;
  /** False when every sample trains (split `all`): there is no test part to read (absent: there is one). */
  readonly hasTest?: boolean;
  /** Options whose default depends on the data, as resolved: stored with the run's options (train CLI). */
  readonly resolvedOptions?: Record<string, unknown>;
  /** How the validation part was made, or why there is none, for the log. */
  readonly validationNote?: string;
  /** Number of steps in one pass over the training set (tasks with a finite training set). */
  stepsPerEpoch?(batchSize: number): number;
  describe(): TaskDescription;
}

/** What a task's models promise (kept in checkpoints, written by export), and facts for reports (sizes, data source). */
export interface TaskDescription {
  contract: ModelContract;
  info: Record<string, unknown>;
}

/** A task's recommended settings, applied under the user's flags. */
export interface TaskDefaults {
  network: Partial<NetworkConfig>;
  train: Partial<Omit<TrainConfig, 'network' | 'task' | 'schedule'>>;
  /** The schedule's kind; its parameters come from flags or are derived from the run length. */
  schedule: ScheduleConfig['kind'];
  /** Epochs when the user gives neither --epochs nor --steps, from the training set's size; default 5. */
  epochs?: (trainSequences: number) => number;
  /** Plateau schedule: evaluations (epochs, when evaluating each epoch) without gain before lr / 10; default 5. */
  patience?: number;
}
