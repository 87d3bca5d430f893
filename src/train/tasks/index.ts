// The task registry: name -> (recommended settings, options schema, factory). Adding a task = one file +
// one entry here: its options schema says each option's checks, default and flag (`indrnn train` declares
// them), and is what a checkpoint's options are read through.

import { z } from 'zod';
import { FEATURE_STREAMS, parseFeatureList } from '../../data/features.js';
import { parseSplit, SPLIT_FORMS } from '../../data/split-spec.js';
import { checkedString, choiceValue, intValue, numberValue, parseOptions, withFlag } from '../../util/option-schema.js';
import type { TaskSpec } from '../config.js';
import type { Task, TaskDefaults } from '../task.js';
import { AddingTask, addingDefaults } from './adding.js';
import { SeqImageTask, seqImageDefaults } from './seq-image.js';
import { DEFAULT_ROTATE_DEG, DEFAULT_VALIDATION_FRACTION, SkeletonTask, skeletonDefaults } from './skeleton.js';

interface TaskEntry {
  description: string;
  defaults: TaskDefaults;
  /** The task's options: checks, defaults and flags (optionFlags); checkpoints store what it parses. */
  options: z.ZodObject;
  /** Builds the task from options read through `options`. */
  create(options: unknown, seed: number): Task;
}

function task<S extends z.ZodObject>(
  name: string,
  e: Omit<TaskEntry, 'options' | 'create'> & { options: S; build(o: z.output<S>, seed: number): Task },
): TaskEntry {
  return { ...e, create: (o, seed) => e.build(parseOptions(e.options, o, `task ${name}`), seed) };
}

const addingOptions = z.object({
  seqLen: withFlag(intValue(2).default(200), '--seq-len <T>', 'sequence length'),
  evalSize: intValue(1).default(1000),
});

const seqImageOptions = z.object({
  dataDir: withFlag(
    z.string({ error: 'needs --data DIR (a folder with MNIST-style IDX files)' }),
    '--data <dir>',
    'folder with MNIST-style IDX files (e.g. /usr/share/datasets/fashion-mnist)',
  ),
  mode: withFlag(
    z.union([choiceValue(['rows', 'pixels']), z.boolean().transform((p) => (p ? 'pixels' : 'rows'))]).default('rows'),
    '--pixels',
    'read pixel by pixel (T = 784) instead of row by row (T = 28)',
  ),
  permute: withFlag(z.boolean().default(false), '--permute', 'read pixels in a fixed random permutation'),
  trainLimit: withFlag(intValue(0).default(0), '--train-limit <n>', 'use only the first n training images, 0: all'),
  testLimit: withFlag(intValue(0).default(0), '--test-limit <n>', 'use only the first n test images, 0: all'),
});

const skeletonOptions = z.object({
  cache: withFlag(
    z.string({ error: 'needs --cache FILE (made by indrnn data build or indrnn data synth)' }),
    '--cache <file>',
    'dataset cache from indrnn data build / synth',
  ),
  split: withFlag(checkedString(parseSplit).default('ntu60-xsub'), '--split <split>', SPLIT_FORMS),
  sampling: withFlag(
    choiceValue(['segments', 'rate']).default('segments'),
    '--sampling <kind>',
    "'segments' (the paper's, whole actions) or 'rate' (fixed rate, for streaming)",
  ),
  segments: withFlag(intValue(1).default(20), '--segments <T>', 'frames per sequence, one from each of T segments'),
  fps: withFlag(numberValue(0.1).default(10), '--fps <n>', 'model steps per second, with --sampling rate'),
  window: withFlag(intValue(1).default(32), '--window <steps>', 'steps per training window, with --sampling rate'),
  /** Steps at the start of each action left unlabelled, with rate sampling. */
  warmup: intValue(0).default(3),
  center: withFlag(
    choiceValue(['first-frame', 'per-frame']).optional(),
    '--center <how>',
    "'first-frame' (default for segments) or 'per-frame' (default for rate)",
  ),
  viewAlign: withFlag(
    choiceValue(['none', 'yaw', 'full']).optional(),
    '--view-align <how>',
    "turn body 0 to face the camera as in its first frame: 'yaw' (about the vertical), 'full' (also torso upright; default for 3D), 'none' (default for 2D)",
  ),
  bodyOrder: withFlag(
    choiceValue(['sensor', 'camera-x']).optional(),
    '--body-order <rule>',
    "which body comes first (two-person data): 'camera-x' (by root x at the first frame with a body, then held; default for two or more bodies) or 'sensor' (the sensor's order)",
  ),
  rotateDeg: withFlag(
    numberValue(0, 180).default(DEFAULT_ROTATE_DEG),
    '--rotate-deg <deg>',
    'augmentation, largest rotation about the vertical',
  ),
  augment: withFlag(z.boolean().default(true), '--no-augment', 'no training augmentation'),
  features: withFlag(
    checkedString(parseFeatureList).optional(),
    '--features <list>',
    `input streams, concatenated per step: ${FEATURE_STREAMS.join(', ')} (bones: joint minus its parent in the layout's tree; motion: the change since the previous model step); the server computes them from the joints a request sends. Default: joints for 3D data, joints,motion for 2D; with --init, the model's`,
  ),
  classes: withFlag(
    z.string().optional(),
    '--classes <names>',
    "train and test on these classes of the cache only, comma-separated names ('sit down,stand up'), in this order",
  ),
  perClass: withFlag(
    intValue(1).optional(),
    '--per-class <k>',
    'few-shot: train on k clips per class (a draw seeded by --seed, made after the validation part is carved; the validation and test parts stay whole)',
  ),
  validation: withFlag(
    numberValue(0, 0.9).default(DEFAULT_VALIDATION_FRACTION),
    '--validation <fraction>',
    'hold this fraction of the training part out to choose the weights on (whole recordings, else whole subjects, else per class; the test part is read once, at the end); 0: none (evaluations read the test part, the final weights are the model)',
  ),
});

export const tasks: Record<string, TaskEntry> = {
  adding: task('adding', {
    description: 'the adding problem: sum of two marked values in a long sequence (regression, MSE)',
    defaults: addingDefaults,
    options: addingOptions,
    build: (o, seed) => new AddingTask({ ...o, seed }),
  }),
  'seq-image': task('seq-image', {
    description: 'sequential image classification from MNIST-style IDX files (row by row or pixel by pixel)',
    defaults: seqImageDefaults,
    options: seqImageOptions,
    build: (o, seed) => new SeqImageTask({ ...o, seed }),
  }),
  skeleton: task('skeleton', {
    description: 'skeleton action recognition from a dataset cache (indrnn data build / indrnn data synth)',
    defaults: skeletonDefaults,
    options: skeletonOptions,
    build: ({ sampling, segments, fps, window, warmup, center, features, ...o }, seed) =>
      new SkeletonTask({
        ...o,
        features: features === undefined ? undefined : parseFeatureList(features),
        sampling: sampling === 'rate' ? { kind: 'rate', fps, window, warmup } : { kind: 'segments', segments },
        center: center ?? (sampling === 'rate' ? 'per-frame' : 'first-frame'),
        seed,
      }),
  }),
};

function entryOf(name: string): TaskEntry {
  const entry = tasks[name];
  if (!entry) throw new Error(`unknown task '${name}' (known: ${Object.keys(tasks).join(', ')})`);
  return entry;
}

/** A task's spec with its options read through the task's schema (defaults filled in): what a checkpoint stores. */
export function parseTaskSpec(spec: TaskSpec): TaskSpec {
  return { name: spec.name, options: parseOptions(entryOf(spec.name).options, spec.options, `task ${spec.name}`) };
}

export function createTask(spec: TaskSpec, seed: number): Task {
  return entryOf(spec.name).create(spec.options, seed);
}
