// Training jobs (`indrnn serve --training`, docs/api.md "Training jobs"): a checked request (job-request.ts)
// waits in a bounded queue; one job runs at a time, as child processes of the CLI at the lowest priority
// (job-process.ts): `data build` -> `train` -> `export`. The model is written into a hidden staging folder
// of the model directory with its card, renamed into place as `<models>/<name>/<version>/model.onnx` (the
// registry's Triton layout: the next version of the name) and loaded at once (ModelRegistry.loadModel). A
// cancelled, failed or shut-down job leaves nothing behind: its child is killed, its temporary files removed.
export type { JobState, JobView } from './job-view.js';

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMediapipeTarget, MEDIAPIPE_TARGETS } from '../data/mediapipe.js';
import { ApiError, errors } from '../predict/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { jobCard } from './job-card.js';
import { runCliStep } from './job-process.js';
import { type CheckedJob, DEFAULT_JOB_LIMITS, type JobLimits } from './job-request.js';
import { type JobState, type JobView, STAGES, type Stage } from './job-view.js';
import type { ModelRegistry, ServedModel } from './registry.js';

export interface TrainingOptions {
  limits?: Partial<JobLimits>;
  /** Trainer threads (default 1: serving keeps the other cores). */
  threads?: number;
  /** Network of a job without a base model (default 64 neurons, 2 blocks). */
  hidden?: number;
  depth?: number;
  /** The CLI script the steps run (default: this build's). */
  cli?: string;
  /** Where jobs keep their temporary files (default the OS's). */
  tmpDir?: string;
  onEvent?: (event: { kind: 'job'; id: string; state: JobState; name: string; error?: string }) => void;
}

interface Job {
  view: JobView;
  checked: CheckedJob;
  /** The job's temporary folder: samples.jsonl, data.cache, run/. */
  dir: string;
  abort: AbortController;
  listeners: Set<(view: JobView) => void>;
  startedAt?: number;
}

/** The CLI of this build: dist/src/host/ -> dist/src/cli.js. */
const THIS_CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** Whether this build's trainer takes --init FILE (a base model to start from), asked once. */

export class TrainingJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private running: Job | null = null;
  private closed = false;
  readonly limits: JobLimits;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly opts: TrainingOptions = {},
  ) {
    this.limits = { ...DEFAULT_JOB_LIMITS, ...opts.limits };
  }

  private get cli(): string {
    return this.opts.cli ?? THIS_CLI;
  }

  /** Queues a checked job; 429 too_many_jobs when the queue is full. */
  submit(checked: CheckedJob): JobView {
    if (this.closed) throw errors.shuttingDown();
    if (checked.base !== undefined && !this.registry.get(checked.base))
      throw errors.modelNotFound(checked.base, this.registry.names, 'base');
    const baseLayout = checked.base !== undefined ? this.registry.get(checked.base)?.model.metadata.layout : undefined;
    if (
      baseLayout !== undefined &&
      baseLayout !== checked.layout &&
      !(checked.layout === 'mediapipe33' && isMediapipeTarget(baseLayout))
    )
      throw new ApiError(
        'invalid_field',
        `base: the model '${checked.base}' takes ${baseLayout} joints and the samples are ${checked.layout}: only mediapipe33 takes convert (to ${MEDIAPIPE_TARGETS.join(', ')}); start from a model of the takes' layout, or from none`,
        { field: 'base' },
      );
    if (this.queue.length >= this.limits.maxQueued)
      throw new ApiError(
        'too_many_jobs',
        `${this.queue.length} jobs are waiting already (the limit is ${this.limits.maxQueued}); retry later`,
        {
          limit: this.limits.maxQueued,
        },
      );
    const id = randomUUID();
    const dir = mkdtempSync(join(this.opts.tmpDir ?? tmpdir(), 'indrnn-job-'));
    writeFileSync(join(dir, 'samples.jsonl'), checked.jsonl);
    checked.jsonl = ''; // on disk now
    const job: Job = {
      view: {
        id,
        name: checked.name,
        ...(checked.base !== undefined ? { base: checked.base } : {}),
        state: 'queued',
        progress: 0,
        eta: null,
        epochs: checked.epochs,
        samples: checked.samples,
        frames: checked.frames,
        actions: checked.actions,
        background: checked.background,
        metrics: {},
        created: new Date().toISOString(),
      },
      checked,
      dir,
      abort: new AbortController(),
      listeners: new Set(),
    };
    this.jobs.set(id, job);
    this.queue.push(job);
    this.forgetOld();
    this.emit(job);
    this.next();
    return { ...job.view };
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job ? { ...job.view } : undefined;
  }

  /** Every job remembered, newest first. */
  list(): JobView[] {
    return [...this.jobs.values()].reverse().map((j) => ({ ...j.view }));
  }

  /** Calls `listener` on every change of the job until it ends; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Cancels a queued or running job (a finished one stays as it is); undefined when unknown. */
  cancel(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.view.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, 'cancelled');
    } else if (job.view.state === 'running') {
      job.abort.abort(new Error('cancelled'));
    }
    return { ...job.view };
  }

  /** Cancels everything and waits for the running job's child to end (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.finish(job, 'cancelled', 'the server shut down');
    const running = this.running;
    if (running) {
      running.abort.abort(new Error('the server shut down'));
      await new Promise<void>((resolve) => {
        if (this.running !== running) return resolve();
        running.listeners.add((v) => {
          if (v.state !== 'running') resolve();
        });
      });
    }
  }

  private emit(job: Job): void {
    const view = { ...job.view };
    for (const l of job.listeners) l(view);
  }

  private finish(job: Job, state: JobState, error?: string): void {
    job.view.state = state;
    job.view.eta = null;
    job.view.stage = undefined;
    job.view.finished = new Date().toISOString();
    if (error !== undefined) job.view.error = error;
    if (state === 'done') job.view.progress = 1;
    rmSync(job.dir, { recursive: true, force: true });
    this.opts.onEvent?.({ kind: 'job', id: job.view.id, state, name: job.view.name, error });
    this.emit(job);
    job.listeners.clear();
  }

  /** Forgets the oldest finished jobs beyond maxFinished. */
  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => !['queued', 'running'].includes(j.view.state));
    for (const j of finished.slice(0, Math.max(0, finished.length - this.limits.maxFinished)))
      this.jobs.delete(j.view.id);
  }

  private next(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    job.view.state = 'running';
    job.view.started = new Date().toISOString();
    job.startedAt = performance.now();
    this.emit(job);
    this.opts.onEvent?.({ kind: 'job', id: job.view.id, state: 'running', name: job.view.name });
    this.run(job)
      .then(
        () => this.finish(job, 'done'),
        (e: unknown) => {
          if (job.abort.signal.aborted) this.finish(job, 'cancelled', (job.abort.signal.reason as Error).message);
          else
            this.finish(
              job,
              'failed',
              e instanceof Error
                ? e.message.replaceAll(job.dir, '<job>').replaceAll(this.registry.dir, '<models>')
                : String(e),
            );
        },
      )
      .finally(() => {
        this.running = null;
        this.forgetOld();
        this.next();
      });
  }

  /** Progress within a stage (0..1 of it), with the time left estimated from the time so far. */
  private progress(job: Job, stage: Stage, within: number): void {
    const [a, b] = STAGES[stage];
    const p = Math.min(1, Math.max(job.view.progress, a + (b - a) * Math.min(1, Math.max(0, within))));
    job.view.stage = stage;
    job.view.progress = p;
    const elapsed = (performance.now() - (job.startedAt ?? 0)) / 1000;
    job.view.eta = p >= 0.1 ? Math.round((elapsed * (1 - p)) / p) : null;
    this.emit(job);
  }

  private async run(job: Job): Promise<void> {
    const { checked, dir } = job;
    const step = (stage: Stage, args: string[], onLine?: (line: string) => void) => {
      this.progress(job, stage, 0);
      return runCliStep(args, { cli: this.cli, cwd: dir, signal: job.abort.signal, onLine });
    };
    const seconds: Record<string, number> = {};
    const timed = async <R>(stage: Stage, work: () => Promise<R>): Promise<R> => {
      const t0 = performance.now();
      const r = await work();
      seconds[stage] = Math.round(performance.now() - t0) / 1000;
      return r;
    };
    const base = checked.base !== undefined ? this.registry.get(checked.base) : undefined;
    if (checked.base !== undefined && !base) throw new Error(`base: the model '${checked.base}' is no longer served`);
    const meta = base?.model.metadata;
    const build = ['data', 'build', '--jsonl', 'samples.jsonl', '--out', 'data.cache'];
    if (meta?.layout && meta.layout !== checked.layout) build.push('--to-layout', meta.layout);
    if (meta?.bodies) build.push('--bodies', String(meta.bodies));
    await timed('build', () => step('build', build));

    const train = this.trainArgs(checked, base);
    const summaryText = await timed('train', () =>
      step('train', train.args, (line) => {
        const steps = /(\d+)\/(\d+) steps/.exec(line);
        const epoch = /\(epoch ([\d.]+)\)/.exec(line);
        if (steps) this.progress(job, 'train', Number(steps[1]) / Number(steps[2]));
        else if (epoch) this.progress(job, 'train', Number(epoch[1]) / checked.epochs);
      }),
    );
    const summary = JSON.parse(summaryText) as Record<string, unknown>;
    job.view.metrics = {
      metric: summary.metric,
      test: summary.finalTestMetric,
      bestTest: summary.bestTestMetric,
      trainLoss: summary.finalTrainLoss,
      steps: summary.steps,
      epochs: summary.epochs,
      parameters: summary.parameters,
      heldOutTakes: checked.heldOut,
      initialisedFrom: train.init ? checked.base : null,
    };

    const models = this.registry.dir;
    const version = this.nextVersion(checked.name);
    const staging = join(models, checked.name, `.staging-${job.view.id}`);
    mkdirSync(staging, { recursive: true });
    try {
      const file = join(staging, 'model.onnx');
      const exportArgs = ['export', '--checkpoint', join('run', 'checkpoint.safetensors'), '--out', file];
      exportArgs.push('--name', checked.name, '--model-version', version, '--json');
      await timed('export', () => step('export', exportArgs));
      seconds.total = Math.round(performance.now() - (job.startedAt ?? 0)) / 1000;
      job.view.metrics.seconds = seconds;
      writeFileAtomic(join(staging, 'model.md'), jobCard(job.view, version, summary, train.args));
      this.progress(job, 'load', 0);
      if (job.abort.signal.aborted) throw job.abort.signal.reason;
      renameSync(staging, join(models, checked.name, version));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    const t0 = performance.now();
    // A rescan loads the new file (and only what changed); a name unloaded through the repository API needs loadModel.
    await this.registry.refresh();
    const loaded = this.registry.versions(checked.name).includes(version)
      ? { versions: [version], reason: undefined }
      : await this.registry.loadModel(checked.name);
    seconds.load = Math.round(performance.now() - t0) / 1000;
    seconds.total = Math.round(performance.now() - (job.startedAt ?? 0)) / 1000;
    if (!loaded.versions.includes(version))
      throw new Error(
        `the model was written to ${checked.name}/${version}/model.onnx but did not load: ${loaded.reason ?? 'unknown reason'}`,
      );
    job.view.model = checked.name;
    job.view.version = version;
  }

  /** The trainer's flags: the base model's sampling, preprocessing and weights (--init), or small defaults. */
  private trainArgs(checked: CheckedJob, base: ServedModel | undefined): { args: string[]; init: boolean } {
    const args = ['train', '--task', 'skeleton', '--cache', 'data.cache', '--split', 'given', '--out', 'run'];
    args.push('--epochs', String(checked.epochs), '--threads', String(this.opts.threads ?? 1), '--seed', '1', '--json');
    const sampling = base?.model.metadata.sampling;
    // Takes of nothing train the background class: the detection path, which samples at a rate (streams).
    if (checked.background || sampling?.kind === 'rate') {
      args.push('--sampling', 'rate');
      if (sampling?.kind === 'rate') args.push('--fps', String(sampling.fps), '--window', String(sampling.window));
    } else if (sampling?.kind === 'segments')
      args.push('--sampling', 'segments', '--segments', String(sampling.segments));
    // The base's preprocessing, which --init requires and which the defaults differ from with another sampling.
    const pre = base?.input.kind === 'skeleton' ? base.input.preprocess : undefined;
    if (pre) {
      if (pre.center !== 'none') args.push('--center', pre.center);
      args.push('--view-align', pre.viewAlign);
      // A base without a body order kept the sensor's (the training default is camera-x for two bodies).
      args.push('--body-order', pre.bodyOrder ?? 'sensor');
      if (pre.features) args.push('--features', pre.features.streams.join(','));
    }
    const init = base !== undefined;
    if (init) args.push('--init', base.file);
    else args.push('--hidden', String(this.opts.hidden ?? 64), '--depth', String(this.opts.depth ?? 2));
    return { args, init };
  }

  /** One more than the highest numeric version of `name`, served or on disk. */
  private nextVersion(name: string): string {
    let top = 0;
    const numeric = (v: string) => (/^\d{1,15}$/.test(v) ? Number(v) : 0);
    for (const v of this.registry.versions(name)) top = Math.max(top, numeric(v));
    const folder = join(this.registry.dir, name);
    if (existsSync(folder)) for (const v of readdirSync(folder)) top = Math.max(top, numeric(v));
    return String(top + 1);
  }
}
