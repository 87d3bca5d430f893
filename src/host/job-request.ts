// A training job's request checked before anything is queued: its name, its epochs, and every sample of the
// JSON Lines user format (src/data/user-format.ts) read with the trainer's own reader, bounded before any
// sample is read in full. Errors name the field ("samples[3].frames[10][2]"). What comes out is the JSON
// Lines text `indrnn data build --jsonl` reads, with a split of our own (the last takes of each action are
// held out) and, when some takes have no action ("nothing": a person standing), every take as a recording
// with a label per frame: the trainer's detection path, whose extra class "no action" is a stream's
// background (docs/data.md, untrimmed recordings).
import { parseUserSample } from '../data/user-format.js';
import { ApiError, errors } from '../predict/errors.js';
import { MODEL_NAME, NAME_RULE } from './model-name.js';

export interface JobLimits {
  /** Most samples (takes) in one job. */
  maxSamples: number;
  /** Most frames in one sample. */
  maxFramesPerSample: number;
  /** Most frames in all samples of one job. */
  maxTotalFrames: number;
  /** Most epochs a job may ask for. */
  maxEpochs: number;
  /** Most distinct actions. */
  maxClasses: number;
  /** Jobs waiting behind the running one; more are refused (429 too_many_jobs). */
  maxQueued: number;
  /** Finished jobs remembered for GET /v1/jobs (the oldest are forgotten). */
  maxFinished: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = {
  maxSamples: 500,
  maxFramesPerSample: 3600,
  maxTotalFrames: 30_000,
  maxEpochs: 500,
  maxClasses: 50,
  maxQueued: 4,
  maxFinished: 50,
};

/** The epochs of a job that does not say. */
export const DEFAULT_JOB_EPOCHS = 40;

/** A request as the route's schema lets it through: shapes checked, samples not yet. */
export interface JobRequest {
  name: string;
  base?: string;
  samples: unknown[];
  epochs?: number;
}

export interface CheckedJob {
  name: string;
  base?: string;
  epochs: number;
  /** The samples as JSON Lines for `indrnn data build --jsonl`. */
  jsonl: string;
  /** The actions, sorted as the trainer sorts them. */
  actions: string[];
  /** Some takes have no action: a detection model with the background class "no action". */
  background: boolean;
  samples: number;
  /** Takes held out of training (the trainer measures on them); 0: every action has one take. */
  heldOut: number;
  frames: number;
  /** The samples' layout (all share one). */
  layout: string;
}

const invalid = (field: string, message: string, more: Record<string, unknown> = {}) =>
  new ApiError('invalid_field', `${field}: ${message}`, { field, ...more });

/** The reader's "samples[3]: frames[10][2]: message" as field "samples[3].frames[10][2]" and its message. */
function sampleError(e: Error, index: number): ApiError {
  const where = `samples[${index}]`;
  const rest = e.message.startsWith(`${where}: `) ? e.message.slice(where.length + 2) : e.message;
  const m = /^([A-Za-z]\w*(?:\[\d+\])*|\(sample\)): /.exec(rest);
  const inner = m && m[1] !== '(sample)' ? m[1] : '';
  const field = inner ? `${where}.${inner}` : where;
  return new ApiError('invalid_field', `${field}: ${m ? rest.slice(m[0].length) : rest}`, { field });
}

/** The takes of one action held out of training: the last fifth, one at least from two takes on. */
function heldOut(count: number): number {
  return count >= 2 ? Math.max(1, Math.floor(count / 5)) : 0;
}

/** Checks a job request against the limits; throws an ApiError naming the field. */
export function checkJobRequest(req: JobRequest, limits: JobLimits): CheckedJob {
  if (!MODEL_NAME.test(req.name))
    throw invalid('name', `${JSON.stringify(req.name.slice(0, 64))}: expected ${NAME_RULE}, at most 128 characters`);
  const epochs = req.epochs ?? DEFAULT_JOB_EPOCHS;
  if (epochs > limits.maxEpochs)
    throw invalid('epochs', `${epochs} epochs, the limit is ${limits.maxEpochs}`, { limit: limits.maxEpochs });
  const { samples } = req;
  if (samples.length > limits.maxSamples)
    throw invalid('samples', `${samples.length} samples, the limit is ${limits.maxSamples}`, {
      limit: limits.maxSamples,
    });
  // Frame counts first, from the JSON alone: nothing is read in full before the whole job is known to fit.
  let frames = 0;
  samples.forEach((s, i) => {
    const f = (s as { frames?: unknown } | null)?.frames;
    if (!Array.isArray(f)) return; // the reader names it
    if (f.length > limits.maxFramesPerSample)
      throw errors.tooManyFrames(`samples[${i}].frames`, `samples[${i}].frames`, f.length, limits.maxFramesPerSample);
    frames += f.length;
  });
  if (frames > limits.maxTotalFrames)
    throw new ApiError(
      'too_many_frames',
      `samples have ${frames} frames in all, the limit is ${limits.maxTotalFrames}`,
      {
        field: 'samples',
        limit: limits.maxTotalFrames,
        got: frames,
      },
    );
  const read = samples.map((s, i) => {
    try {
      return parseUserSample(s, `samples[${i}]`);
    } catch (e) {
      throw sampleError(e as Error, i);
    }
  });
  const layout = read[0]?.layout.name ?? '';
  read.forEach((s, i) => {
    if (s.layout.name !== layout)
      throw invalid(
        `samples[${i}].layout`,
        `'${s.layout.name}' is not samples[0]'s layout '${layout}' (one layout per job)`,
      );
  });
  // The action of each take: its label, or the one label of its frames; null: nothing (background).
  const takeAction = read.map((s) => s.label ?? s.frameLabels?.find((l) => l !== null) ?? null);
  const background =
    read.some((s) => s.label === null && !s.frameLabels?.some((l) => l !== null)) ||
    read.some((s) => s.frameLabels !== null);
  const names = new Set<string>();
  for (const s of read) {
    if (s.label !== null) names.add(s.label);
    for (const l of s.frameLabels ?? []) if (l !== null) names.add(l);
  }
  const actions = [...names].sort();
  if (actions.length > limits.maxClasses)
    throw invalid('samples', `${actions.length} actions, the limit is ${limits.maxClasses}`, {
      limit: limits.maxClasses,
    });
  if (actions.length + (background ? 1 : 0) < 2)
    throw invalid(
      'samples',
      `a model needs at least 2 classes: got ${actions.length === 0 ? 'no action' : `only '${actions[0]}'`}${background ? ' and takes of nothing' : ''}; record takes of another action`,
    );
  // Our split, unless the samples bring their own.
  const own = read.some((s) => s.split !== undefined);
  const byAction = new Map<string | null, number[]>();
  takeAction.forEach((a, i) => {
    byAction.set(a, [...(byAction.get(a) ?? []), i]);
  });
  const test = new Set<number>();
  if (!own)
    for (const takes of byAction.values())
      for (const i of takes.slice(takes.length - heldOut(takes.length))) test.add(i);
  const lines = samples.map((s, i) => {
    const o = s as Record<string, unknown>;
    const r = read[i];
    const split = own ? (r.split ?? 'train') : test.has(i) ? 'test' : 'train';
    const labels = background
      ? { label: null, frameLabels: r.frameLabels ?? new Array(r.T).fill(r.label) }
      : { label: r.label };
    return JSON.stringify({ id: `take-${i}`, layout, fps: r.fps, ...labels, split, frames: o.frames });
  });
  // The trainer wants a test part: with one take per action, a copy of the last one stands in (measuring nothing).
  const held = own ? read.filter((r) => r.split === 'test').length : test.size;
  if (held === 0) lines.push(lines[lines.length - 1].replace('"split":"train"', '"split":"test"'));
  return {
    name: req.name,
    base: req.base,
    epochs,
    jsonl: `${lines.join('\n')}\n`,
    actions,
    background,
    samples: samples.length,
    heldOut: held,
    frames,
    layout,
  };
}
