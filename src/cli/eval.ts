// indrnn eval: per-class accuracy and confusion matrix of a checkpoint on its task's held-out set; with
// --detection, the online-detection figures of a detection model on untrimmed recordings (eval-detection.ts).
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import type { ModelMetadata } from '../onnx/metadata.js';
import { IndrnnModel } from '../onnx/model.js';
import { DEFAULT_DECISION_RULE, decisionRule } from '../predict/segments.js';
import { loadNetwork } from '../train/checkpoint.js';
import { taskSpecSchema } from '../train/config.js';
import { type ClassifierRun, type ClassReport, classReport, networkRun } from '../train/confusion.js';
import { CONFUSION_FILE, confusionSvg } from '../train/plots.js';
import type { Task } from '../train/task.js';
import { createTask } from '../train/tasks/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { sameJson } from '../util/same-json.js';
import { detectionText, evaluateDetection } from './eval-detection.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { checkpointPredictor, onnxPredictor } from './predict.js';

interface EvalOptions {
  checkpoint?: string;
  model?: string;
  split?: string;
  batchSize: number;
  json?: boolean;
  plot?: string;
  detection?: boolean;
  cache?: string;
  part: 'train' | 'test';
  smoothing?: number;
  startThreshold?: number;
  endThreshold?: number;
  minSteps?: number;
}

/**
 * Beside the checkpoint: confusion.svg, or confusion-<split>.svg for another split than the one trained on;
 * beside a model x.onnx: x-confusion.svg (where the server finds it) or x-confusion-<split>.svg.
 */
function confusionPlotPath(file: string, split: string | undefined): string {
  const name = split ? `confusion-${split.replace(/[^\w.-]+/g, '_')}.svg` : CONFUSION_FILE;
  if (!file.toLowerCase().endsWith('.onnx')) return join(dirname(file), name);
  return `${file.slice(0, -'.onnx'.length)}-${name}`;
}

/** The task a model was trained on (its metadata's training.task; an ensemble's: its first member's) and a seed. */
function modelTask(m: ModelMetadata, path: string, opts: EvalOptions): Task {
  const spec = taskSpecSchema.safeParse(m.training.task);
  if (!spec.success) throw new Error(`${path}: its metadata names no training task (training.task); export it again`);
  const seed = m.ensemble?.members[0].seed ?? (typeof m.training.seed === 'number' ? m.training.seed : 1);
  const given = { ...(opts.cache ? { cache: opts.cache } : {}), ...(opts.split ? { split: opts.split } : {}) };
  const task = createTask({ ...spec.data, options: { ...spec.data.options, ...given } }, seed);
  if (task.inputSize !== m.input_size || task.numOutputs !== m.num_outputs)
    throw new Error(
      `${path}: takes ${m.input_size} values per step and gives ${m.num_outputs} outputs; the data has ${task.inputSize} and ${task.numOutputs} classes`,
    );
  const names = m.labels.map((l) => l.name);
  if (task.labels && !sameJson(task.labels, names))
    throw new Error(`${path}: labels ${JSON.stringify(names)}, the data's are ${JSON.stringify(task.labels)}`);
  return task;
}

/** Refuses a task with nothing held out (a run on split all, read back as trained), saying what to give. */
function requireTestPart(task: Task, split: unknown): void {
  if (task.hasTest === false)
    throw new Error(
      `split ${String(split)} has no test part (every sample trained): give --split with one, e.g. --split random:0.2`,
    );
}

/** The report on the held-out part: the confusion matrix as SVG, then the figures (text or JSON). */
function printClassReport(report: ClassReport, file: string, opts: EvalOptions): void {
  const plot = opts.plot ?? confusionPlotPath(file, opts.split);
  writeFileAtomic(plot, confusionSvg(report, `Held-out part${opts.split ? ` of ${opts.split}` : ''}`));
  process.stderr.write(`confusion matrix: ${plot}\n`);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  process.stdout.write(`accuracy ${(report.accuracy * 100).toFixed(2)} % on ${report.count} sequences\n`);
  for (const c of report.perClass)
    process.stdout.write(`  ${(c.accuracy * 100).toFixed(1).padStart(5)} %  ${c.label} (${c.count})\n`);
}

async function classEval(opts: EvalOptions & { checkpoint: string }): Promise<void> {
  const backend = new OrtBackend();
  try {
    const { net, ckpt } = loadNetwork(opts.checkpoint, backend);
    const spec = ckpt.config.task;
    const task = createTask(
      { ...spec, options: { ...spec.options, ...(opts.split ? { split: opts.split } : {}) } },
      ckpt.config.seed,
    );
    requireTestPart(task, spec.options.split);
    printClassReport(await classReport(networkRun(net), task, opts.batchSize), opts.checkpoint, opts);
  } finally {
    await backend.release();
  }
}

/** An exported model (one network or an ensemble) on the held-out part of its task, read as the trainer reads it. */
async function modelClassEval(opts: EvalOptions & { model: string }): Promise<void> {
  const model = await IndrnnModel.load(opts.model, { provider: 'cpu' });
  try {
    const task = modelTask(model.metadata, opts.model, opts);
    requireTestPart(task, opts.split ?? 'all');
    const run: ClassifierRun = async (x) => ({ data: (await model.run(x.data, x.T, x.B)).logits, T: x.T });
    printClassReport(await classReport(run, task, opts.batchSize), opts.model, opts);
  } finally {
    await model.release();
  }
}

async function detectionEval(opts: EvalOptions): Promise<void> {
  const p = opts.model ? await onnxPredictor(opts.model, 'cpu') : await checkpointPredictor(opts.checkpoint!);
  try {
    // The checkpoint's own cache and split unless given (an ONNX model names no cache).
    const stored = p.task?.options ?? {};
    const cache = opts.cache ?? (typeof stored.cache === 'string' ? stored.cache : undefined);
    const split = opts.split ?? (typeof stored.split === 'string' ? stored.split : undefined);
    if (!cache || !split) throw new Error('--detection with --model needs --cache (untrimmed recordings) and --split');
    const { smoothing, startThreshold, endThreshold, minSteps } = opts;
    const rule = decisionRule({ smoothing, startThreshold, endThreshold, minSteps }, '');
    const report = await evaluateDetection(p, { cache, split, part: opts.part, rule });
    process.stdout.write(
      opts.json ? `${JSON.stringify(report)}\n` : detectionText(report, p.metadata.frame_rate ?? 30),
    );
  } finally {
    await p.close();
  }
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      "per-class accuracy and confusion matrix of a checkpoint on its task's held-out set; --detection: online-detection figures on untrimmed recordings",
    )
    .option('--checkpoint <file>', 'checkpoint.safetensors from indrnn train')
    .option(
      '--model <file>',
      "an exported .onnx model instead of --checkpoint (an ensemble too): its training task's held-out part, with --cache and --split to name the data",
    )
    .option('--split <split>', 'skeleton task: evaluate on another split than the one trained on (forms as in train)')
    .option('--batch-size <n>', 'sequences per batch', intOption(1), 256)
    .option('--json', 'print the report as JSON')
    .option(
      '--plot <file>',
      'the confusion matrix as SVG (default confusion.svg beside the checkpoint; confusion-<split>.svg with --split)',
    )
    .option(
      '--detection',
      'frame accuracy, mAP@IoU 0.1/0.3/0.5 (PKU-MMD protocol), start delay and false starts of a detection model on the untrimmed recordings of --cache (the test part of --split)',
    )
    .option(
      '--cache <file>',
      "--model: the dataset cache (default the one it was trained on); --detection: cache of untrimmed recordings (indrnn data build --untrimmed); default the checkpoint's",
    )
    .option(
      '--part <part>',
      '--detection: the part of the split to evaluate (test, or train to tune the rule)',
      choiceOption(['train', 'test'] as const),
      'test',
    )
    .option(
      '--smoothing <a>',
      `--detection: decision rule, smoothing (default ${DEFAULT_DECISION_RULE.smoothing})`,
      floatOption(0, 0.99),
    )
    .option(
      '--start-threshold <p>',
      `--detection: decision rule, start threshold (default ${DEFAULT_DECISION_RULE.startThreshold})`,
      floatOption(0, 1),
    )
    .option(
      '--end-threshold <p>',
      `--detection: decision rule, end threshold (default ${DEFAULT_DECISION_RULE.endThreshold})`,
      floatOption(0, 1),
    )
    .option(
      '--min-steps <n>',
      `--detection: decision rule, steps to confirm a start (default ${DEFAULT_DECISION_RULE.minSteps})`,
      intOption(1),
    )
    .action(async (opts: EvalOptions) => {
      if (!opts.checkpoint === !opts.model) throw new Error('give one of --checkpoint or --model');
      if (opts.detection) return detectionEval(opts);
      if (opts.model) return modelClassEval({ ...opts, model: opts.model });
      return classEval({ ...opts, checkpoint: opts.checkpoint! });
    });
}
