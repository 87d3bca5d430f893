// The training loop: batches are pure functions of (seed, step) and dropout masks come from a stream
// seeded by the step, so a run interrupted at any point and resumed from its last checkpoint ends with
// exactly the weights of an uninterrupted run. Evaluations during training read the task's validation
// part when it has one: the plateau schedule and --target act on it, the weights of its best evaluation
// become the model at the end (the chosen weights), and only then is the test part read, once.
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Adam, defaultAdamOptions } from '../nn/adam.js';
import { type Backend, OrtBackend } from '../nn/backend.js';
import { BN_EPS } from '../nn/layers/batchnorm.js';
import { Network } from '../nn/network.js';
import { type Seq, seq } from '../nn/seq.js';
import { ShardBackend } from '../nn/shard.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { Rng } from '../util/rng.js';
import {
  type Checkpoint,
  hasTensors,
  loadCheckpoint,
  restoreTensors,
  saveCheckpoint,
  type TrainState,
} from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { DataParallel } from './data-parallel.js';
import { EtaEstimator } from './eta.js';
import { type EvalResult, evaluate } from './evaluate.js';
import { applyInit, type InitSource } from './init.js';
import { type BatchResult, evaluateBatch, isBetter, metricName, metricText } from './objective.js';
import { type ProgressReporter, silentReporter } from './progress.js';
import { lastDecayStep, plateauAction, stepDecayLr } from './schedule.js';
import { runFigures } from './selection.js';
import type { Batch, EvalPart, Task } from './task.js';

const INIT_STREAM = 101;
/** Training batches whose statistics set the batch norms of a run started from an exported model. */
const INIT_BN_BATCHES = 4;
const DROPOUT_STREAM = 102;
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export interface TrainRunOptions {
  outDir: string;
  /** Continue from outDir's checkpoint when there is one. */
  resume: boolean;
  /** Products outside the data-parallel steps (evaluation) and, with one shard, everywhere. */
  mm: Backend;
  /** Threads the data-parallel shards are placed on (default: one per core). */
  threads?: number;
  reporter?: ProgressReporter;
  /** Checkpoint and stop early (Ctrl-C). */
  signal?: AbortSignal;
  /** Tests: stop abruptly after this many steps of this run, saving nothing (a simulated crash). */
  crashAfterSteps?: number;
  /** Transfer learning: the trained network a fresh run starts from (config.init names it; not read on resume). */
  init?: InitSource;
}

export interface TrainSummary {
  task: string;
  /** What the trained model promises (task kind, labels, input): what its export says. */
  contract: TrainState['contract'];
  taskInfo: Record<string, unknown>;
  config: TrainConfig;
  parameters: number;
  steps: number;
  epochs?: number;
  metric: 'accuracy' | 'mse';
  /**
   * The part evaluations during training read and the weights were chosen on ('test': no validation part;
   * 'none': nothing held out, the final weights are the model).
   */
  selection: EvalPart | 'none';
  finalTrainLoss: number;
  finalTrainMetric: number;
  /** The model's weights on the test part (with a validation part: the chosen weights, read once); NaN if unread. */
  finalTestLoss: number;
  finalTestMetric: number;
  /** Without a validation part the best test evaluation; with one the chosen weights' test figure (null if unread). */
  bestTestMetric: number | null;
  /** Step of the best evaluation (with a validation part: of the chosen weights). */
  bestStep: number | null;
  /** With a validation part: the chosen weights' validation figure and step, and the last evaluation's. */
  validation: { bestMetric: number; bestStep: number; finalMetric: number; finalLoss: number } | null;
  samplesPerSec: number;
  wallTimeSec: number;
  stopReason: string;
  checkpoint: string;
  history: TrainState['history'];
}

function freshState(config: TrainConfig, task: Task): TrainState {
  const { contract, info } = task.describe();
  return {
    step: 0,
    lr: config.optimizer.lr,
    elapsedMs: 0,
    history: [],
    best: null,
    badEvals: 0,
    window: { lossSum: 0, batches: 0, metricSum: 0, sequences: 0 },
    stopReason: null,
    contract,
    taskInfo: info,
  };
}

export class Trainer {
  readonly net: Network;
  readonly adam: Adam;
  readonly config: TrainConfig;
  state: TrainState;
  private readonly eta = new EtaEstimator();
  /** Sequences in one evaluation (for the time estimate before the first evaluation). */
  private evalSequences?: number;
  /** Data-parallel steps when the run has more than one shard. */
  private readonly parallel: DataParallel | null = null;
  private readonly shardBackend: Backend | null = null;
  /** The weights of the best evaluation (plateau schedule, or a validation part to choose on). */
  private bestWeights: Float32Array | null = null;
  /** A finished run's last weights, when the model holds the chosen ones: a resume with more steps continues from them. */
  private lastWeights: Float32Array | null = null;
  /** The part evaluations during training read. */
  /** The part evaluations read; null when nothing is held out (they record the training figures only). */
  private readonly part: EvalPart | null;
  /** Started from an exported model: its batch norms are set from the data before the first step. */
  private batchNormFromData = false;
  private runStarted = 0;
  private elapsedBefore = 0;
  private readonly reporter: ProgressReporter;
  readonly checkpointPath: string;

  constructor(
    config: TrainConfig,
    readonly task: Task,
    private readonly opts: TrainRunOptions,
  ) {
    this.checkpointPath = join(opts.outDir, CHECKPOINT_FILE);
    // Read once: its shards decide the step's maths, its tensors are restored below.
    const ckpt = opts.resume && existsSync(this.checkpointPath) ? loadCheckpoint(this.checkpointPath) : null;
    this.config = ckpt ? keepShards(config, ckpt.config.shards) : config;
    const shards = this.config.shards ?? 1;
    if (shards > 1) {
      // One onnxruntime thread per shard's products; evaluation keeps opts.mm (all cores).
      const trainBackend = new OrtBackend(1);
      const backend = new ShardBackend(trainBackend, opts.mm);
      this.net = new Network(config.network, backend);
      const threads = opts.threads ?? availableParallelism();
      this.parallel = new DataParallel(this.net, backend, { shards, threads, trainBackend });
      this.shardBackend = trainBackend;
    } else this.net = new Network(config.network, opts.mm);
    const sharedOptimiser = this.parallel?.sharesOptimiser ?? false;
    this.adam = new Adam(this.net.store, { ...defaultAdamOptions, ...config.optimizer }, sharedOptimiser);
    this.reporter = opts.reporter ?? silentReporter;
    this.state = freshState(config, task);
    for (const w of task.warnings ?? []) this.reporter.log(`warning: ${w}`);
    this.part = task.hasValidation ? 'validation' : task.hasTest === false ? null : 'test';
    if (task.hasValidation) {
      if (task.validationNote) this.reporter.log(task.validationNote);
      if (task.hasTest === false) this.reporter.log('no test part (split all): the chosen weights are not tested');
    } else if (this.part === null) {
      if (config.schedule.kind === 'plateau' || config.target !== undefined)
        throw new Error(
          'nothing is held out (split all, no validation part): the plateau schedule and --target need evaluations; use the step schedule, or a validation part (--validation 0.1)',
        );
      this.reporter.log('nothing is held out (split all, no validation part): the final weights are the model');
    } else
      this.reporter.log(
        `warning: no validation part${task.validationNote ? ` (${task.validationNote})` : ''}: the evaluations during training, the plateau schedule and --target read the test part, so a figure chosen on them overstates unseen data`,
      );
    if (opts.resume) {
      if (!ckpt) {
        throw new Error(
          `--resume: there is nothing to resume: ${this.checkpointPath} does not exist (run without --resume to start afresh)`,
        );
      }
      this.restore(ckpt);
    } else {
      this.net.store.initialize(new Rng(config.seed, INIT_STREAM));
      if (opts.init) this.startFrom(opts.init);
    }
  }

  private startFrom(source: InitSource): void {
    const labels = this.state.contract.labels.map((l) => l.name);
    const r = applyInit(source, this.net.store, labels);
    this.batchNormFromData = r.batchNormFromData;
    const frozen = this.config.network.frozenLayers ?? 0;
    this.reporter.log(
      `initialised from ${source.path} (${source.kind}): ${r.loaded} tensors; classifier: ${r.keptClasses.length} of ${labels.length} classes kept by name` +
        `${r.keptClasses.length > 0 ? ` (${r.keptClasses.join(', ')})` : ''}; ${frozen} of ${this.net.recurrent.length} IndRNN layers frozen`,
    );
  }

  /**
   * An exported model's batch norms are folded into the Linears after them, so they start as the identity
   * in eval mode. Training normalises with each batch's statistics, so each trainable one is set to the
   * identity at the data's statistics (gamma = sqrt(var + eps), beta = mean): one calibration pass per layer,
   * since a layer's statistics are right once the layers below it are. A pure function of the weights and
   * the first training batches.
   */
  async calibrateInitBatchNorm(): Promise<void> {
    const units = this.net.recurrent.filter((r) => r.bn && !r.u.frozen);
    const K = INIT_BN_BATCHES;
    for (let pass = 0; pass < units.length; pass++) {
      for (let k = 0; k < K; k++) {
        const batch = this.task.trainBatch(k, this.config.batchSize);
        await this.net.forward(batch.x, { training: false, bnCalibration: { momentum: 1 / (k + 1) } });
      }
      for (const { bn } of units) {
        for (let c = 0; c < bn!.gamma.size; c++) {
          bn!.gamma.value[c] = Math.sqrt(bn!.runningVar.value[c] + BN_EPS);
          bn!.beta.value[c] = bn!.runningMean.value[c];
        }
      }
    }
  }

  /** Stops the shards' worker threads and releases their onnxruntime sessions (not opts.mm). */
  async close(): Promise<void> {
    await this.parallel?.close();
    await this.shardBackend?.release();
  }

  private restore(ckpt: Checkpoint): void {
    const store = this.net.store;
    restoreTensors(ckpt, 'model.', store, store.data, this.checkpointPath);
    restoreTensors(ckpt, 'adam.m.', store, this.adam.m, this.checkpointPath);
    restoreTensors(ckpt, 'adam.v.', store, this.adam.v, this.checkpointPath);
    if (hasTensors(ckpt, 'best.')) {
      this.bestWeights = new Float32Array(store.data.length);
      restoreTensors(ckpt, 'best.', store, this.bestWeights, this.checkpointPath);
    }
    if (hasTensors(ckpt, 'last.')) {
      this.lastWeights = new Float32Array(store.data.length);
      restoreTensors(ckpt, 'last.', store, this.lastWeights, this.checkpointPath);
    }
    this.adam.t = ckpt.adamT;
    const changed = changedSettings(ckpt.config, this.config);
    if (changed.length > 0) this.reporter.log(`resuming with changed settings: ${changed.join(', ')}`);
    this.state = ckpt.state;
    this.state.stopReason = null;
    const before = this.state.history.at(-1)?.evalPart ?? 'test';
    if (this.state.history.length > 0 && before !== (this.part ?? 'none')) {
      // A best on one part means nothing on the other.
      this.reporter.log(
        `warning: this run evaluated on its ${before} part so far, now on its ${this.part ?? 'none'} part`,
      );
      this.state.best = null;
      this.state.badEvals = 0;
      this.bestWeights = null;
    }
    this.reporter.log(`resumed from ${this.checkpointPath} at step ${this.state.step}`);
  }

  save(): void {
    mkdirSync(this.opts.outDir, { recursive: true });
    saveCheckpoint(
      this.checkpointPath,
      this.config,
      this.state,
      this.net.store,
      this.adam,
      this.bestWeights,
      this.lastWeights,
    );
  }

  /** One optimiser step on one batch. */
  async step(batch: Batch, step: number): Promise<BatchResult> {
    const net = this.net;
    let result: BatchResult;
    if (this.parallel) {
      const keys = [this.config.seed, DROPOUT_STREAM, step];
      const lossOf = (logits: Seq) => evaluateBatch(this.task, logits, batch);
      result = await this.parallel.trainStep(batch.x, keys, lossOf, this.adam);
    } else {
      net.store.zeroGrad();
      const rng = new Rng(this.config.seed, DROPOUT_STREAM, step);
      const logits = await net.forward(batch.x, { training: true, rng });
      result = evaluateBatch(this.task, logits, batch);
      await net.backward(seq(result.grad, logits.T, logits.B, logits.C));
      this.adam.step();
    }
    net.clipRecurrentWeights();
    return result;
  }

  async run(): Promise<TrainSummary> {
    const { config, task, state } = this;
    const total = config.steps;
    const startStep = state.step;
    this.runStarted = performance.now();
    this.elapsedBefore = state.elapsedMs;
    let trainMs = 0;
    let trainSamples = 0;
    if (state.step < total && this.lastWeights) {
      // A finished run given more steps: training goes on from its last weights, not the chosen ones.
      this.net.store.data.set(this.lastWeights);
      this.lastWeights = null;
      delete state.test;
    }
    if (this.batchNormFromData && state.step === 0) await this.calibrateInitBatchNorm();
    this.batchNormFromData = false;
    this.reporter.start(total, startStep);
    while (state.step < total && !state.stopReason) {
      if (this.opts.crashAfterSteps !== undefined && state.step - startStep >= this.opts.crashAfterSteps) {
        this.reporter.stop();
        throw new SimulatedCrash(state.step);
      }
      const t0 = performance.now();
      this.adam.opts.lr = stepDecayLr(state.lr, config.schedule, state.step);
      const batch = task.trainBatch(state.step, config.batchSize);
      const r = await this.step(batch, state.step);
      const stepMs = performance.now() - t0;
      trainMs += stepMs;
      this.eta.addStep(stepMs);
      trainSamples += batch.x.B;
      if (!Number.isFinite(r.loss)) throw new Error(`training diverged at step ${state.step}: loss is ${r.loss}`);
      state.step++;
      const w = state.window;
      w.lossSum += r.loss;
      w.batches++;
      w.metricSum += r.metricSum;
      w.sequences += r.sequences;
      this.reporter.update(state.step, {
        loss: w.lossSum / w.batches,
        samplesPerSec: (trainSamples * 1000) / trainMs,
        lr: this.adam.opts.lr,
        etaSec: this.eta.remainingSec({
          step: state.step,
          total,
          evalEvery: config.evalEvery,
          evalSequences: this.evalSequences,
          batchSize: config.batchSize,
        }),
        etaIsBound: config.target !== undefined,
      });
      if (state.step % config.evalEvery === 0 || state.step === total) {
        const e0 = performance.now();
        await this.evaluateAndCheckpoint();
        this.eta.addEvaluation(performance.now() - e0);
      }
      if (this.opts.signal?.aborted && !state.stopReason) {
        state.stopReason = 'interrupted';
        state.elapsedMs = this.elapsedMs();
        this.save();
        this.reporter.log(
          `interrupted at step ${state.step}: checkpoint saved to ${this.checkpointPath}; resume with --resume`,
        );
      }
    }
    this.reporter.stop();
    return this.summary(trainSamples, trainMs);
  }

  /** Wall time of the whole run, across resumes. */
  private elapsedMs(): number {
    return this.elapsedBefore + performance.now() - this.runStarted;
  }

  /**
   * "Precise" batch-norm statistics (Wu & Johnson 2021, "Rethinking batch in BatchNorm"): the running
   * averages lag the weights by ~1/momentum steps. When one step moves the statistics a lot, as at
   * T = 5000 where u^T swings with every update of u, they describe no batch the current weights see,
   * and evaluation fails while training loss falls. So before evaluating, forward the last K training
   * batches (no dropout, no gradients) and set the statistics to the average of theirs. A pure
   * function of (weights, step), so resumed runs stay exact.
   */
  async calibrateBatchNorm(): Promise<void> {
    const K = this.config.bnCalibrationBatches ?? 0;
    if (!this.config.network.batchNorm || K <= 0) return;
    const first = Math.max(0, this.state.step - K);
    for (let s = first, k = 0; s < Math.max(this.state.step, first + 1); s++, k++) {
      const batch = this.task.trainBatch(s, this.config.batchSize);
      await this.net.forward(batch.x, { training: false, bnCalibration: { momentum: 1 / (k + 1) } });
    }
  }

  private async evaluateAndCheckpoint(): Promise<void> {
    const { config, task, state } = this;
    const w = state.window;
    await this.calibrateBatchNorm();
    const ev = this.part ? await evaluate(this.net, task, config.evalBatchSize, this.part) : NOTHING_HELD_OUT;
    this.evalSequences = ev.sequences;
    const trainMetric = w.sequences > 0 ? w.metricSum / w.sequences : Number.NaN;
    const perEpoch = task.stepsPerEpoch?.(config.batchSize);
    const record = {
      step: state.step,
      epoch: perEpoch ? state.step / perEpoch : undefined,
      lr: this.adam.opts.lr,
      trainLoss: w.batches > 0 ? w.lossSum / w.batches : Number.NaN,
      trainMetric,
      evalLoss: ev.loss,
      evalMetric: ev.metric,
      evalPart: this.part ?? ('none' as const),
      elapsedMs: this.elapsedMs(),
    };
    state.history.push(record);
    state.window = { lossSum: 0, batches: 0, metricSum: 0, sequences: 0 };
    const name = metricName(task);
    const held = this.part
      ? `, ${this.part} loss ${ev.loss.toPrecision(4)}, ${this.part} ${name} ${metricText(name, ev.metric)}`
      : '';
    this.reporter.log(
      `step ${state.step}${record.epoch !== undefined ? ` (epoch ${record.epoch.toFixed(2)})` : ''}: train loss ${record.trainLoss.toPrecision(4)}${held}`,
    );
    if (this.part) this.applySchedule(ev);
    if (config.target !== undefined && !isBetter(task, config.target, ev.metric))
      state.stopReason = `target ${name} ${config.target} reached`;
    if (state.step >= config.steps && !state.stopReason) state.stopReason = 'completed all steps';
    if (state.stopReason) await this.finish();
    state.elapsedMs = record.elapsedMs;
    this.save();
  }

  /**
   * Better than the best so far. On a validation part, an equal metric with a lower loss is better too (small
   * parts tie often; the loss says which is surer). With a validation part and a step schedule the weights are
   * chosen among the evaluations after the last decay: the first of them replaces any best from before it
   * (on a cross-view check inside the training views, and on Penn Action, that choice did better than the
   * best over the whole run: BENCHMARKS.md, "Which evaluation's weights").
   */
  private get chooseFrom(): number {
    return lastDecayStep(this.config.schedule, this.config.steps);
  }

  private improves(ev: EvalResult): boolean {
    const best = this.state.best;
    if (best === null || isBetter(this.task, ev.metric, best.metric)) return true;
    if (this.part === 'validation' && best.step < this.chooseFrom && this.state.step >= this.chooseFrom) return true;
    return this.part === 'validation' && ev.metric === best.metric && best.loss !== undefined && ev.loss < best.loss;
  }

  private applySchedule(ev: EvalResult): void {
    const { config, state } = this;
    const action = plateauAction(config.schedule, this.improves(ev), state.badEvals, state.lr);
    if (action === 'improved') {
      state.best = { metric: ev.metric, step: state.step, loss: ev.loss };
      state.badEvals = 0;
      if (config.schedule.kind === 'plateau' || this.part === 'validation') {
        const data = this.net.store.data;
        this.bestWeights ??= new Float32Array(data.length);
        this.bestWeights.set(data);
      }
    } else if (action === 'wait') {
      state.badEvals++;
    } else if (action === 'decay' && config.schedule.kind === 'plateau') {
      state.lr /= config.schedule.factor;
      state.badEvals = 0;
      if (this.bestWeights) this.net.store.data.set(this.bestWeights);
      this.reporter.log(
        `no improvement: restored the weights of step ${state.best?.step}, lr -> ${state.lr.toExponential(2)}`,
      );
    } else if (action === 'stop') {
      state.stopReason = `learning rate fell below ${config.schedule.kind === 'plateau' ? config.schedule.minLr : 0}`;
      if (this.bestWeights) this.net.store.data.set(this.bestWeights);
    }
  }

  /**
   * The end of a run with a validation part: the chosen weights (best validation) become the model, the last
   * ones are kept for a resume with more steps, and the test part is read, once, with the chosen weights.
   */
  private async finish(): Promise<void> {
    const { task, state } = this;
    const best = state.best;
    if (this.part !== 'validation' || !this.bestWeights || !best) return;
    const data = this.net.store.data;
    this.lastWeights = best.step === state.step ? null : data.slice();
    data.set(this.bestWeights);
    if (task.hasTest === false) return;
    const ev = await evaluate(this.net, task, this.config.evalBatchSize, 'test');
    state.test = { loss: ev.loss, metric: ev.metric, step: best.step, sequences: ev.sequences };
    const name = metricName(task);
    this.reporter.log(
      `test ${name} ${metricText(name, ev.metric)} (weights of step ${best.step}, validation ${metricText(name, best.metric)})`,
    );
  }

  private summary(trainSamples: number, trainMs: number): TrainSummary {
    const { config, task, state } = this;
    const last = state.history.at(-1);
    const figures = runFigures(state);
    const perEpoch = task.stepsPerEpoch?.(config.batchSize);
    return {
      task: task.name,
      contract: state.contract,
      taskInfo: state.taskInfo,
      config,
      parameters: this.net.store.trainableCount(),
      steps: state.step,
      epochs: perEpoch ? state.step / perEpoch : undefined,
      metric: metricName(task),
      selection: figures.selection,
      finalTrainLoss: last?.trainLoss ?? Number.NaN,
      finalTrainMetric: last?.trainMetric ?? Number.NaN,
      finalTestLoss: figures.test?.loss ?? Number.NaN,
      finalTestMetric: figures.test?.metric ?? Number.NaN,
      bestTestMetric: figures.bestTest,
      bestStep: state.best?.step ?? null,
      validation: figures.validation,
      samplesPerSec: trainMs > 0 ? (trainSamples * 1000) / trainMs : 0,
      wallTimeSec: state.elapsedMs / 1000,
      stopReason: state.stopReason ?? 'completed all steps',
      checkpoint: this.checkpointPath,
      history: state.history,
    };
  }
}

/** A resumed run keeps its checkpoint's shards (the maths of its steps), whatever the flags now say. */
function keepShards(config: TrainConfig, shards: number | undefined): TrainConfig {
  if (shards === config.shards) return config;
  const kept = { ...config };
  if (shards === undefined) delete kept.shards;
  else kept.shards = shards;
  return kept;
}

/** Top-level settings that differ between two configs (a resumed run may extend steps or change the schedule). */
function changedSettings(before: TrainConfig, now: TrainConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(now)]) as Set<keyof TrainConfig>;
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(now[k]));
}

/** The evaluation of a run that holds nothing out: no figures. */
const NOTHING_HELD_OUT: EvalResult = { loss: Number.NaN, metric: Number.NaN, sequences: 0 };

export class SimulatedCrash extends Error {
  constructor(readonly step: number) {
    super(`simulated crash at step ${step}`);
  }
}

/** Builds a trainer, runs it, and writes summary.json beside the checkpoint. */
export async function runTraining(config: TrainConfig, task: Task, opts: TrainRunOptions): Promise<TrainSummary> {
  const trainer = new Trainer(config, task, opts);
  let summary: TrainSummary;
  try {
    summary = await trainer.run();
  } finally {
    await trainer.close();
  }
  writeFileAtomic(join(opts.outDir, 'summary.json'), Buffer.from(`${JSON.stringify(summary, null, 2)}\n`));
  return summary;
}
