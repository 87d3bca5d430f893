// indrnn train: train an IndRNN on a task, with checkpoints, resume, progress and a JSON summary.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { FeatureConfigSchema } from '../data/features.js';
import { architectureNames } from '../nn/architectures.js';
import { OrtBackend } from '../nn/backend.js';
import type { TaskSpec } from '../train/config.js';
import { type InitSource, readInitSource } from '../train/init.js';
import { metricText } from '../train/objective.js';
import { CURVES_FILE, trainingCurvesSvg } from '../train/plots.js';
import { createReporter } from '../train/progress.js';
import { resolveTrainConfig, type TrainFlags } from '../train/resolve.js';
import { createTask, parseTaskSpec, tasks } from '../train/tasks/index.js';
import { CHECKPOINT_FILE, runTraining, type TrainSummary } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatDuration } from '../util/duration.js';
import { addSchemaFlags, choiceOption, floatOption, intOption, schemaFlagValues } from './options.js';

interface TrainCliOptions extends TrainFlags {
  task: string;
  out?: string;
  resume?: boolean;
  force?: boolean;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train an IndRNN (plain or residual) on a task, checkpointing as it goes')
    .addOption(new Option('--task <name>', 'task to train on').choices(Object.keys(tasks)).makeOptionMandatory());
  for (const [name, entry] of Object.entries(tasks)) addSchemaFlags(train, entry.options, name);
  train
    .option(
      '--arch <arch>',
      'network: plain (stacked), residual (pre-activation res-IndRNN) or dense (densely connected blocks)',
      choiceOption(architectureNames()),
    )
    .option('--depth <n>', 'plain: IndRNN layers; residual: residual blocks; dense: dense blocks', intOption(1))
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
    .option(
      '--init <file>',
      "transfer learning: start from a trained network (a run's checkpoint.safetensors or an exported .onnx) of the same input and shape; its IndRNN layers are loaded, the classifier is new (a class of the same name keeps its weights); default run length: half the task's epochs",
    )
    .option(
      '--freeze <n>',
      'with --init: keep the lowest n IndRNN layers (and all before them) fixed; 0: train everything (default 1)',
      intOption(0),
    )
    .option('--seed <n>', 'seed for data, initialisation and dropout', intOption(0))
    .option(
      '--out <dir>',
      'run folder for checkpoint.safetensors, summary.json and curves.svg (default runs/<task>-seed<seed>)',
    )
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
  indrnn train --task skeleton --cache mine.cache --split random:0.2 --init models/nucla.onnx --freeze 1

Ctrl-C saves a checkpoint; run the same command with --resume to continue.`,
    )
    .action(async (opts: TrainCliOptions, command: Command) => {
      // commander gives --no-x options a default of true; only an explicit flag may override the task's defaults.
      for (const key of ['batchNorm', 'clipU'] as const) {
        if (command.getOptionValueSource(key) === 'default') delete opts[key];
      }
      const spec = parseTaskSpec({ name: opts.task, options: schemaFlagValues(command, tasks[opts.task].options) });
      const summary = await trainCommand(opts, spec);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printSummary(summary);
    });
}

async function trainCommand(opts: TrainCliOptions, spec: TaskSpec): Promise<TrainSummary> {
  const seed = opts.seed ?? 1;
  const init = opts.init === undefined ? undefined : readInitSource(opts.init);
  const task = createTask(init ? withInitFeatures(spec, init) : spec, seed);
  const options = Object.assign({}, spec.options, task.resolvedOptions);
  const config = resolveTrainConfig(task, options, tasks[spec.name].defaults, opts, init);
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
    const summary = await runTraining(config, task, {
      outDir,
      resume: !!opts.resume,
      init,
      mm,
      threads,
      reporter,
      signal: controller.signal,
    });
    // Beside summary.json: the same history as curves (the page shows them once the model is exported).
    writeFileAtomic(join(outDir, CURVES_FILE), trainingCurvesSvg(summary));
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    await mm.release();
  }
}

/** A skeleton run from `--init` without --features takes the model's input streams (its input is the model's). */
function withInitFeatures(spec: TaskSpec, init: InitSource): TaskSpec {
  if (spec.name !== 'skeleton' || spec.options.features !== undefined) return spec;
  const theirs = FeatureConfigSchema.safeParse(init.contract.preprocessing?.features);
  const streams = theirs.success ? theirs.data.streams : ['joints'];
  return { name: spec.name, options: { ...spec.options, features: streams.join(',') } };
}

/** A metric as the summary shows it: accuracy in percent, others as numbers. */
function showMetric(metric: string, value: number | null): string {
  if (value === null) return '-';
  return metricText(metric, value);
}

/** The summary printed at the end of a run (without --json). */
export function summaryLines(s: TrainSummary): string[] {
  return [
    `task ${s.task}: ${s.stopReason} after ${s.steps} steps${s.epochs !== undefined ? ` (${s.epochs.toFixed(2)} epochs)` : ''}`,
    `test ${s.metric} ${showMetric(s.metric, s.finalTestMetric)} (best ${showMetric(s.metric, s.bestTestMetric)} at step ${s.bestStep ?? '-'}), train loss ${s.finalTrainLoss.toPrecision(4)}`,
    `${s.parameters} parameters, ${s.samplesPerSec.toFixed(0)} samples/s, ${formatDuration(s.wallTimeSec)} in all`,
    `checkpoint: ${s.checkpoint}`,
  ];
}

function printSummary(s: TrainSummary): void {
  process.stderr.write(`${summaryLines(s).join('\n')}\n`);
}
