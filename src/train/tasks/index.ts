// The task registry: name -> (recommended settings, factory). Adding a task = one file + one entry here.

import { parseSplit } from '../../data/split-spec.js';
import type { TaskSpec } from '../config.js';
import type { Task, TaskDefaults } from '../task.js';
import { AddingTask, addingDefaults } from './adding.js';
import { SeqImageTask, seqImageDefaults } from './seq-image.js';
import { SkeletonTask, skeletonDefaults } from './skeleton.js';

interface TaskEntry {
  description: string;
  defaults: TaskDefaults;
  create(options: Record<string, unknown>, seed: number): Task;
}

const num = (v: unknown, fallback: number) => (v === undefined ? fallback : Number(v));

export const tasks: Record<string, TaskEntry> = {
  adding: {
    description: 'the adding problem: sum of two marked values in a long sequence (regression, MSE)',
    defaults: addingDefaults,
    create: (o, seed) => new AddingTask({ seqLen: num(o.seqLen, 200), evalSize: num(o.evalSize, 1000), seed }),
  },
  'seq-image': {
    description: 'sequential image classification from MNIST-style IDX files (row by row or pixel by pixel)',
    defaults: seqImageDefaults,
    create: (o, seed) => {
      if (typeof o.dataDir !== 'string')
        throw new Error('task seq-image needs --data DIR (a folder with MNIST-style IDX files)');
      return new SeqImageTask({
        dataDir: o.dataDir,
        mode: o.mode === 'pixels' ? 'pixels' : 'rows',
        permute: o.permute === true,
        trainLimit: num(o.trainLimit, 0),
        testLimit: num(o.testLimit, 0),
        seed,
      });
    },
  },
  skeleton: {
    description: 'skeleton action recognition from a dataset cache (indrnn data build / indrnn data synth)',
    defaults: skeletonDefaults,
    create: (o, seed) => {
      if (typeof o.cache !== 'string')
        throw new Error('task skeleton needs --cache FILE (made by indrnn data build or indrnn data synth)');
      const split = String(o.split ?? 'ntu60-xsub');
      parseSplit(split); // fails early, naming the known forms
      const rate = o.sampling === 'rate';
      const viewAlign = o.viewAlign as 'none' | 'yaw' | 'full' | undefined;
      if (viewAlign !== undefined && !['none', 'yaw', 'full'].includes(viewAlign))
        throw new Error(`unknown --view-align '${viewAlign}' (none, yaw or full)`);
      if (!rate && o.sampling !== undefined && o.sampling !== 'segments')
        throw new Error(`unknown --sampling '${o.sampling}' (segments or rate)`);
      return new SkeletonTask({
        cache: o.cache,
        split,
        sampling: rate
          ? { kind: 'rate', fps: num(o.fps, 10), window: num(o.window, 32), warmup: num(o.warmup, 3) }
          : { kind: 'segments', segments: num(o.segments, 20) },
        center: o.center === 'per-frame' || (o.center === undefined && rate) ? 'per-frame' : 'first-frame',
        viewAlign,
        rotateDeg: o.rotateDeg === undefined ? undefined : num(o.rotateDeg, 0),
        augment: o.augment !== false,
        validation: o.validation === undefined ? undefined : num(o.validation, 0),
        seed,
      });
    },
  },
};

export function createTask(spec: TaskSpec, seed: number): Task {
  const entry = tasks[spec.name];
  if (!entry) throw new Error(`unknown task '${spec.name}' (known: ${Object.keys(tasks).join(', ')})`);
  return entry.create(spec.options, seed);
}
