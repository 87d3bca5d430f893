// indrnn train: train an IndRNN on a task, with checkpoints, resume, progress and a JSON summary.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import { createReporter } from '../train/progress.js';
import { resolveTrainConfig, type TrainFlags } from '../train/resolve.js';
import { tasks } from '../train/tasks/index.js';
import { CHECKPOINT_FILE, runTraining, type TrainSummary } from '../train/trainer.js';
import { choiceOption, floatOption, intOption } from './options.js';

interface TrainCliOptions extends TrainFlags {
  task: string;
  seqLen?: number;
  data?: string;
  pixels?: boolean;
  permute?: boolean;
  trainLimit?: number;
  testLimit?: number;
  cache?: string;
  split?: string;
  segments?: number;
  sampling?: string;
  fps?: number;
  window?: number;
  center?: string;
  viewAlign?: string;
  rotateDeg?: number;
  augment?: boolean;
  validation?: number;
  out?: string;
  resume?: boolean;
  force?: boolean;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train an IndRNN (plain or residual) on a task, checkpointing as it goes')
    .addOption(new Option('--task <name>', 'task to train on').choices(Object.keys(tasks)).makeOptionMandatory())
    .option('--seq-len <T>', 'adding: sequence length (default 200)', intOption(2))
    .option('--data <dir>', 'seq-image: folder with MNIST-style IDX files (e.g. /usr/share/datasets/fashion-mnist)')
    .option('--pixels', 'seq-image: read pixel by pixel (T = 784) instead of row by row (T = 28)')
    .option('--permute', 'seq-image: read pixels in a fixed random permutation')
    .option('--train-limit <n>', 'seq-image: use only the first n training images', intOption(1))
    .option('--test-limit <n>', 'seq-image: use only the first n test images', intOption(1))
    .option('--cache <file>', 'skeleton: dataset cache from indrnn data build / synth')
    .option(
      '--split <split>',
      'skeleton: ntu60-xsub (default), ntu60-xview, ntu120-xsub, ntu120-xset, subjects:1,3,5, cameras:1,2, recordings:1-249, given, random:0.2[:SEED]',
    )
    .option('--segments <T>', 'skeleton: frames per sequence, one from each of T segments (default 20)', intOption(1))
    .option(
      '--sampling <kind>',
      "skeleton: 'segments' (the paper's, whole actions) or 'rate' (fixed rate, for streaming)",
    )
    .option('--fps <n>', 'skeleton, rate sampling: model steps per second (default 10)', floatOption(0.1))
    .option('--window <steps>', 'skeleton, rate sampling: steps per training window (default 32)', intOption(1))
    .option('--center <how>', "skeleton: 'first-frame' (default for segments) or 'per-frame' (default for rate)")
    .option(
      '--view-align <how>',
      "skeleton: turn body 0 to face the camera as in its first frame: 'yaw' (about the vertical; default for 3D), 'full' (also torso upright), 'none' (default for 2D)",
      choiceOption(['none', 'yaw', 'full'] as const),
    )
    .option(
      '--rotate-deg <deg>',
      'skeleton: augmentation, largest rotation about the vertical (default 45)',
      floatOption(0, 180),
    )
    .option('--no-augment', 'skeleton: no training augmentation')
    .option(
      '--validation <fraction>',
      'skeleton: hold this fraction of the training part out to choose the weights on (default 0.1: whole recordings, else whole subjects, else per class; the test part is read once, at the end); 0: none (evaluations read the test part, the final weights are the model)',
      floatOption(0, 0.9),
    )
    .option(
      '--arch <arch>',
      'network: plain (stacked) or residual (pre-activation res-IndRNN)',
      choiceOption(['plain', 'residual'] as const),
    )
    .option('--depth <n>', 'plain: IndRNN layers; residual: residual blocks', intOption(1))
    .option('--hidden <n>', 'neurons per layer', intOption(1))
    .option(
      '--readout <where>',
      "classifier on the 'last' step or on 'all' steps",
      choiceOption(['last', 'all'] as const),
    )
    .option('--dropout <p>', 'dropout probability (one mask per sequence)', floatOption(0, 0.99))
    .option('--batch-norm', 'use batch normalisation over batch x time (the default for every task)')
    .option('--no-batch-norm', 'leave out batch normalisation')
    .option('--mag <m>', 'recurrent bound U_bound = mag^(1/T)', floatOption(1.000001))
    .option('--no-clip-u', 'do not clip u to [-U_bound, U_bound] after each step')
    .option(
      '--input-init-std <s>',
      "IndRNN input weights ~ N(0, s²) (adding default 0.001, the authors'); 0: kaiming-uniform",
      floatOption(0, 1),
    )
    .option('--lr <rate>', 'Adam learning rate', floatOption(0))
    .option('--weight-decay <l2>', 'L2 weight decay on input/classifier weights', floatOption(0))
    .option('--grad-clip <c>', 'clamp gradients elementwise to [-c, c] (0 = off)', floatOption(0))
    .option('--schedule <kind>', 'learning-rate schedule', choiceOption(['constant', 'step', 'plateau'] as const))
    .option(
      '--lr-step-every <steps>',
      'step schedule: decay every this many steps (default: once, at 80 % of the run)',
      intOption(1),
    )
    .option('--lr-gamma <g>', 'step schedule: multiply lr by this (default 0.1)', floatOption(0, 1))
    .option(
      '--patience <evals>',
      'plateau schedule: evaluations without improvement before lr / 10 (epochs when evaluating each epoch; skeleton default 10)',
      intOption(1),
    )
    .option('--min-lr <lr>', 'plateau schedule: stop once lr falls below this', floatOption(0))
    .option('--batch-size <n>', 'sequences per step', intOption(1))
    .option('--steps <n>', 'optimiser steps in total', intOption(1))
    .option('--epochs <n>', 'passes over the training set (tasks with a fixed training set)', intOption(1))
    .option('--eval-every <steps>', 'evaluate on the held-out set and checkpoint every this many steps', intOption(1))
    .option('--eval-batch-size <n>', 'sequences per evaluation batch', intOption(1))
    .option('--target <metric>', 'stop once the held-out metric reaches this (accuracy >= or MSE <=)', floatOption())
    .option(
      '--bn-calibrate <batches>',
      'before each evaluation, set the batch-norm statistics from this many recent training batches (0: running averages; adding default 10)',
      intOption(0),
    )
    .option('--seed <n>', 'seed for data, initialisation and dropout', intOption(0))
    .option('--out <dir>', 'run folder for checkpoint.safetensors and summary.json (default runs/<task>-seed<seed>)')
    .option('--resume', "continue from the run folder's checkpoint")
    .option('--force', 'start afresh even if the run folder holds a checkpoint')
    .option(
      '--threads <n>',
      'threads for training: data-parallel shards, each with its own products and elementwise work (0: one per core)',
      intOption(0),
    )
    .option(
      '--shards <n>',
      'cut each batch into n data-parallel shards (default: one per thread, at least 2; the result does not depend on --threads)',
      intOption(1),
    )
    .option('--json', 'print the final summary as JSON on stdout')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      `
Examples:
  indrnn train --task adding --seq-len 200
  indrnn train --task seq-image --data /usr/share/datasets/fashion-mnist --epochs 5
  indrnn train --task skeleton --cache data/synth.cache --split ntu60-xsub --epochs 30
  indrnn train --task adding --seq-len 1000 --target 0.01 --out runs/add1000 --resume

Ctrl-C saves a checkpoint; run the same command with --resume to continue.`,
    )
    .action(async (opts: TrainCliOptions, command: Command) => {
      // commander gives --no-x options a default of true; only an explicit flag may override the task's defaults.
      for (const key of ['batchNorm', 'clipU', 'augment'] as const) {
        if (command.getOptionValueSource(key) === 'default') delete opts[key];
      }
      const summary = await trainCommand(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printSummary(summary);
    });
}

async function trainCommand(opts: TrainCliOptions): Promise<TrainSummary> {
  const entry = tasks[opts.task];
  const seed = opts.seed ?? 1;
  const taskOptions: Record<string, unknown> = {
    seqLen: opts.seqLen,
    dataDir: opts.data,
    mode: opts.pixels ? 'pixels' : 'rows',
    permute: opts.permute,
    trainLimit: opts.trainLimit,
    testLimit: opts.testLimit,
    cache: opts.cache,
    split: opts.split,
    segments: opts.segments,
    sampling: opts.sampling,
    fps: opts.fps,
    window: opts.window,
    center: opts.center,
    viewAlign: opts.viewAlign,
    rotateDeg: opts.rotateDeg,
    augment: opts.augment,
    validation: opts.validation,
  };
  const task = entry.create(taskOptions, seed);
  const config = resolveTrainConfig(task, taskOptions, entry.defaults, opts);
  const outDir = opts.out ?? join('runs', `${opts.task}-seed${seed}`);
  if (existsSync(join(outDir, CHECKPOINT_FILE)) && !opts.resume && !opts.force) {
    throw new Error(
      `${outDir} already holds a checkpoint: pass --resume to continue it, --force to start afresh, or --out DIR`,
    );
  }
  const reporter = createReporter({ quiet: opts.quiet });
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    reporter.log('stopping after this step (Ctrl-C again to quit without a checkpoint)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const mm = new OrtBackend(opts.threads ?? 0);
  const threads = opts.threads || availableParallelism();
  try {
    return await runTraining(config, task, {
      outDir,
      resume: !!opts.resume,
      mm,
      threads,
      reporter,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
    await mm.release();
  }
}

function printSummary(s: TrainSummary): void {
  const metric =
    s.metric === 'accuracy' ? `${(s.finalTestMetric * 100).toFixed(2)} %` : s.finalTestMetric.toPrecision(4);
  const lines = [
    `task ${s.task}: ${s.stopReason} after ${s.steps} steps${s.epochs !== undefined ? ` (${s.epochs.toFixed(2)} epochs)` : ''}`,
    `test ${s.metric} ${metric} (best ${s.bestTestMetric?.toPrecision(4) ?? '-'} at step ${s.bestStep ?? '-'}), train loss ${s.finalTrainLoss.toPrecision(4)}`,
    `${s.parameters} parameters, ${s.samplesPerSec.toFixed(0)} samples/s, ${s.wallTimeSec.toFixed(1)} s`,
    `checkpoint: ${s.checkpoint}`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
