// Hands another tool (the PyTorch accuracy peer, scripts/accuracy-peer.py) exactly the parts our trainer
// uses: the training part less the validation part, the validation part (carveValidation, as
// `indrnn train --validation F` carves it) and the test part of a cache under a split, each sample's frames
// preprocessed once (first-frame centring by default; no view alignment, no scale unless asked).
// Usage: node dist/scripts/export-split.js --cache FILE --split SPLIT --out DIR
//          [--validation 0.1] [--view-align none|yaw|full] [--scale-norm]
// Writes into DIR (created if needed; each file atomically, split.json last):
//   frames.safetensors   one F32 tensor "frames" [total frames, D]: the samples' frames, one after another
//   split.json           { format: "indrnn-peer-split", version: 1, cache, split, validation, labels,
//                          preprocessing, frameSize, samples: [{ id, label, part, frames }] }: the samples in
//                          the tensor's order (training part, then validation, then test); part is
//                          "train" | "validation" | "test", frames is the sample's frame count
// Prints one line: what went where.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { SkeletonDataset } from '../src/data/cache.js';
import { defaultPreprocessConfig, type PreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { parseSplit } from '../src/data/split-spec.js';
import { DEFAULT_VALIDATION_FRACTION, SkeletonTask } from '../src/train/tasks/skeleton.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { checkedString, choiceValue, numberValue, parseOptions, withFlag } from '../src/util/option-schema.js';
import { writeSafetensorsFile } from '../src/util/safetensors.js';
import { scriptArgs } from './script-args.js';

export const PEER_SPLIT_FORMAT = 'indrnn-peer-split';
/** Largest frames tensor written (bytes): the peer is for the small real sets, and one buffer holds it. */
export const MAX_EXPORT_BYTES = 2 ** 31;

const exportOptions = z.object({
  cache: withFlag(z.string({ error: 'needs --cache FILE' }), '--cache <file>', 'dataset cache'),
  split: withFlag(checkedString(parseSplit), '--split <split>', 'split, as for indrnn train'),
  out: withFlag(z.string({ error: 'needs --out DIR' }), '--out <dir>', 'folder to write into'),
  validation: withFlag(
    numberValue(0, 0.9).default(DEFAULT_VALIDATION_FRACTION),
    '--validation <fraction>',
    'validation fraction, as for indrnn train',
  ),
  viewAlign: withFlag(choiceValue(['none', 'yaw', 'full']).default('none'), '--view-align <how>', 'view alignment'),
  scaleNorm: withFlag(z.boolean().default(false), '--scale-norm', 'divide by the first-frame torso length'),
});
export type ExportOptions = z.input<typeof exportOptions>;

export interface ExportedSample {
  id: string;
  label: number;
  part: 'train' | 'validation' | 'test';
  frames: number;
}

export interface ExportSummary {
  dir: string;
  counts: Record<ExportedSample['part'], number>;
  validation: { fraction: number; grouping: string | null; groups: number };
  frameSize: number;
  totalFrames: number;
}

/** Writes the parts of `options.cache` under `options.split` into `options.out` (see the top of this file). */
export function exportSplit(options: ExportOptions): ExportSummary {
  const o = parseOptions(exportOptions, options, 'export-split');
  const task = new SkeletonTask({
    cache: o.cache,
    split: o.split,
    sampling: { kind: 'segments', segments: 20 },
    center: 'first-frame',
    augment: false,
    validation: o.validation,
    seed: 1,
  });
  const { train, validation, test } = task.partDatasets();
  const parts: [ExportedSample['part'], SkeletonDataset | null][] = [
    ['train', train],
    ['validation', validation],
    ['test', test],
  ];
  const cfg = defaultPreprocessConfig(train.jointLayout, train.bodies, {
    center: 'first-frame',
    viewAlign: o.viewAlign,
    scaleNorm: o.scaleNorm,
  });
  const D = train.frameSize;
  const samples: ExportedSample[] = parts.flatMap(([part, ds]) =>
    ds
      ? Array.from({ length: ds.count }, (_, i) => ({ id: ds.id(i), label: ds.label(i), part, frames: ds.length(i) }))
      : [],
  );
  const totalFrames = samples.reduce((sum, s) => sum + s.frames, 0);
  if (totalFrames * D * 4 > MAX_EXPORT_BYTES)
    throw new RangeError(
      `${o.cache}: ${totalFrames} frames x ${D} values x 4 bytes = ${totalFrames * D * 4} bytes, over the ${MAX_EXPORT_BYTES} this export holds in one buffer`,
    );
  const frames = new Float32Array(totalFrames * D);
  let at = 0;
  for (const [, ds] of parts) if (ds) at = writeFrames(ds, cfg, frames, at);
  const { contract, info } = task.describe();
  mkdirSync(o.out, { recursive: true });
  writeSafetensorsFile(join(o.out, 'frames.safetensors'), [{ name: 'frames', shape: [totalFrames, D], data: frames }]);
  const split = {
    format: PEER_SPLIT_FORMAT,
    version: 1,
    cache: o.cache,
    split: o.split,
    validation: info.validation,
    layout: contract.layout,
    bodies: contract.bodies,
    joints: contract.joints,
    fps: contract.frame_rate,
    labels: contract.labels.map((l) => l.name),
    preprocessing: cfg,
    frameSize: D,
    totalFrames,
    samples,
  };
  writeFileAtomic(join(o.out, 'split.json'), `${JSON.stringify(split)}\n`);
  const count = (part: ExportedSample['part']) => samples.filter((s) => s.part === part).length;
  return {
    dir: o.out,
    counts: { train: count('train'), validation: count('validation'), test: count('test') },
    validation: info.validation,
    frameSize: D,
    totalFrames,
  };
}

/** Preprocesses every sample of `ds` into `out` from frame `at` on; returns the frame after the last. */
function writeFrames(ds: SkeletonDataset, cfg: PreprocessConfig, out: Float32Array, at: number): number {
  const D = ds.frameSize;
  for (let i = 0; i < ds.count; i++) {
    const T = ds.length(i);
    out.set(preprocessSequence(cfg, ds.raw(i), T), at * D);
    at += T;
  }
  return at;
}

function main(): void {
  const { values } = scriptArgs({
    name: 'export-split',
    about:
      "write a dataset cache's training, validation and test parts exactly as indrnn train carves them, preprocessed, as split.json + frames.safetensors (for scripts/accuracy-peer.py)",
    options: {
      cache: { type: 'string', arg: 'FILE', help: 'dataset cache (indrnn data build)' },
      split: { type: 'string', arg: 'SPLIT', help: 'split, as for indrnn train' },
      out: { type: 'string', arg: 'DIR', help: 'folder to write into' },
      validation: { type: 'string', arg: 'F', help: 'validation fraction, as for indrnn train (default 0.1)' },
      'view-align': { type: 'string', arg: 'HOW', help: 'view alignment: none (default), yaw or full' },
      'scale-norm': { type: 'boolean', help: 'divide by the first-frame torso length' },
    },
    examples: ['node dist/scripts/export-split.js --cache nucla.cache --split cameras:1,2 --out /tmp/nucla-parts'],
  });
  const s = exportSplit({
    cache: values.cache,
    split: values.split,
    out: values.out,
    validation: values.validation,
    viewAlign: values['view-align'],
    scaleNorm: values['scale-norm'],
  } as ExportOptions);
  const v = s.validation;
  const how =
    v.grouping === null
      ? 'none'
      : v.grouping === 'stratified'
        ? 'drawn per class'
        : `${v.groups} whole ${v.grouping}${v.groups === 1 ? '' : 's'}`;
  console.log(
    `${s.dir}: ${s.counts.train} training, ${s.counts.validation} validation (${how}), ${s.counts.test} test clips; ${s.totalFrames} frames x ${s.frameSize} values`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
