// Builds a complete TrainConfig from: built-in defaults < the task's recommended settings < user flags.
import { availableParallelism } from 'node:os';
import type { NetworkConfig } from '../nn/network.js';
import type { ScheduleConfig, TrainConfig } from './config.js';
import { checkInitInput, type InitSource, inheritedNetwork } from './init.js';
import type { Task, TaskDefaults } from './task.js';

export interface TrainFlags {
  arch?: NetworkConfig['arch'];
  depth?: number;
  hidden?: number;
  readout?: 'last' | 'all';
  dropout?: number;
  batchNorm?: boolean;
  mag?: number;
  clipU?: boolean;
  inputInitStd?: number;
  lr?: number;
  weightDecay?: number;
  gradClip?: number;
  schedule?: ScheduleConfig['kind'];
  lrStepEvery?: number;
  lrGamma?: number;
  patience?: number;
  minLr?: number;
  batchSize?: number;
  steps?: number;
  epochs?: number;
  evalEvery?: number;
  evalBatchSize?: number;
  target?: number;
  bnCalibrate?: number;
  /** Data-parallel shards per batch (default: one per thread, at least 2). */
  shards?: number;
  /** Threads for training (0 or absent: one per core); sets the default shards. */
  threads?: number;
  seed?: number;
  /** Transfer learning: the checkpoint or .onnx model to start from (read by the caller: resolveTrainConfig's init). */
  init?: string;
  /** With init: the lowest N IndRNN layers stay fixed (default DEFAULT_INIT_FREEZE). */
  freeze?: number;
}

const base = {
  network: {
    arch: 'plain',
    depth: 2,
    hiddenSize: 128,
    readout: 'last',
    dropout: 0,
    batchNorm: true,
    mag: 2,
    clipRecurrent: true,
  },
  train: {
    batchSize: 128,
    steps: 2000,
    evalEvery: 200,
    evalBatchSize: 500,
    optimizer: { lr: 2e-4, weightDecay: 1e-4, gradClip: 10 },
  },
} as const;

function schedule(flags: TrainFlags, defaults: TaskDefaults, totalSteps: number): ScheduleConfig {
  const kind = flags.schedule ?? defaults.schedule;
  // By default one decay, for the last fifth of the run.
  if (kind === 'step') {
    return { kind, every: flags.lrStepEvery ?? Math.max(1, Math.round(0.8 * totalSteps)), gamma: flags.lrGamma ?? 0.1 };
  }
  if (kind === 'plateau')
    return { kind, patience: flags.patience ?? defaults.patience ?? 5, factor: 10, minLr: flags.minLr ?? 1e-6 };
  return { kind: 'constant' };
}

/** The task's default epochs for its training set (sequences per epoch = steps per epoch at batch size 1). */
function defaultEpochs(task: Task, defaults: TaskDefaults): number {
  const sequences = task.stepsPerEpoch?.(1);
  return defaults.epochs && sequences ? defaults.epochs(sequences) : 5;
}

/** Left out of the config when off, so configs of earlier runs compare equal on resume. */
function calibration(batches: number | undefined): { bnCalibrationBatches?: number } {
  return batches ? { bnCalibrationBatches: batches } : {};
}

/**
 * The defaults of a run started from a trained network (--init), chosen on N-UCLA few-shot runs
 * (BENCHMARKS.md, "Transfer learning"): the lowest IndRNN layer fixed, and a shorter run.
 */
export const DEFAULT_INIT_FREEZE = 1;
export const INIT_EPOCH_SHARE = 0.5;

export function resolveTrainConfig(
  task: Task,
  taskOptions: Record<string, unknown>,
  defaults: TaskDefaults,
  flags: TrainFlags,
  /** The trained network to start from (flags.init, read): its input must match the task's, its shape is kept. */
  init?: InitSource,
): TrainConfig {
  const d = defaults.network;
  if (flags.freeze !== undefined && !init) throw new Error('--freeze needs --init (the trained network to start from)');
  if (init) checkInitInput(init, task.describe().contract, task.inputSize);
  const inherited = init
    ? inheritedNetwork(init, { arch: flags.arch, hidden: flags.hidden, depth: flags.depth, batchNorm: flags.batchNorm })
    : null;
  const network: NetworkConfig = {
    arch: flags.arch ?? d.arch ?? base.network.arch,
    inputSize: task.inputSize,
    hiddenSize: flags.hidden ?? d.hiddenSize ?? base.network.hiddenSize,
    depth: flags.depth ?? d.depth ?? base.network.depth,
    numOutputs: task.numOutputs,
    readout: flags.readout ?? task.readout ?? d.readout ?? base.network.readout,
    dropout: flags.dropout ?? d.dropout ?? base.network.dropout,
    batchNorm: flags.batchNorm ?? d.batchNorm ?? base.network.batchNorm,
    mag: flags.mag ?? d.mag ?? base.network.mag,
    seqLen: task.seqLen,
    clipRecurrent: flags.clipU ?? d.clipRecurrent ?? base.network.clipRecurrent,
    ...inherited,
  };
  const inputInitStd = flags.inputInitStd ?? d.inputInitStd;
  if (inputInitStd) network.inputInitStd = inputInitStd;
  if (init) network.frozenLayers = flags.freeze ?? DEFAULT_INIT_FREEZE;
  const t = defaults.train;
  const batchSize = flags.batchSize ?? t.batchSize ?? base.train.batchSize;
  const perEpoch = task.stepsPerEpoch?.(batchSize);
  if (flags.epochs !== undefined && !perEpoch)
    throw new Error(`--epochs needs a task with a finite training set; task ${task.name} has none: use --steps`);
  const epochShare = init ? INIT_EPOCH_SHARE : 1;
  const steps =
    flags.epochs !== undefined
      ? flags.epochs * perEpoch!
      : (flags.steps ??
        t.steps ??
        (perEpoch ? Math.max(1, Math.round(epochShare * defaultEpochs(task, defaults))) * perEpoch : base.train.steps));
  const evalEvery = flags.evalEvery ?? t.evalEvery ?? perEpoch ?? base.train.evalEvery;
  const optimizer = { ...base.train.optimizer, ...t.optimizer };
  return {
    task: { name: task.name, options: taskOptions },
    network,
    optimizer: {
      lr: flags.lr ?? optimizer.lr,
      weightDecay: flags.weightDecay ?? optimizer.weightDecay,
      gradClip: flags.gradClip ?? optimizer.gradClip,
    },
    schedule: schedule(flags, defaults, steps),
    batchSize,
    steps,
    evalEvery: Math.min(evalEvery, steps),
    evalBatchSize: flags.evalBatchSize ?? t.evalBatchSize ?? base.train.evalBatchSize,
    target: flags.target,
    shards: Math.min(batchSize, flags.shards ?? Math.max(2, flags.threads || availableParallelism())),
    ...calibration(flags.bnCalibrate ?? t.bnCalibrationBatches),
    ...(init ? { init: init.path } : {}),
    seed: flags.seed ?? 1,
  };
}
