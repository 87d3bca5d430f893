// indrnn data: inspect skeleton files and caches, build caches, generate the synthetic dataset, and run
// the non-recurrent baseline.
import { closeSync, openSync, readSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { runBaseline } from '../data/baseline.js';
import { selectBodies } from '../data/bodies.js';
import { type BuildReport, buildJsonlCache } from '../data/build.js';
import { openDataset } from '../data/cache.js';
import { DATA_FORMATS } from '../data/formats.js';
import { readLayoutFile } from '../data/layout-file.js';
import type { Layout } from '../data/layouts.js';
import { ntuActionName } from '../data/ntu-actions.js';
import { parseNtuName } from '../data/ntu-name.js';
import { readSkeletonFile, skeletonStats } from '../data/ntu-reader.js';
import { defaultPreprocessConfig } from '../data/preprocess.js';
import { parseSplit, SPLIT_FORMS } from '../data/split-spec.js';
import { SPLIT_NAMES } from '../data/splits.js';
import { type SynthOptions, writeSynthDataset } from '../data/synth/dataset.js';
import { DEFAULT_ACTIONS } from '../data/synth/generate.js';
import { formatDuration } from '../util/duration.js';
import { checkedString, flagName, intListValue } from '../util/option-schema.js';
import { Progress } from '../util/progress.js';
import { addSchemaFlags, choiceOption, intOption, schemaFlagValues, schemaOption } from './options.js';

const intList = schemaOption(intListValue);
const splitOption = schemaOption(checkedString(parseSplit));

/** NTU protocols as a comma-separated list, or one split of any form (subjects:1,3 has commas of its own). */
function splitList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.every((n) => (SPLIT_NAMES as readonly string[]).includes(n))) return names;
  return [splitOption(value)];
}

function print(json: boolean, data: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}

function isCache(path: string): boolean {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(8);
  readSync(fd, buf, 0, 8, 0);
  closeSync(fd);
  return buf.toString('latin1') === 'IRSKEL01';
}

function inspectSkeleton(file: string, joints: number | null) {
  const sk = readSkeletonFile(file, { expectedJoints: joints });
  const stats = skeletonStats(sk);
  const tracking = [0, 0, 0];
  for (const f of sk.frames) for (const b of f.bodies) for (const s of b.jointTracking) tracking[s]++;
  const name = parseNtuName(file);
  const sel = stats.joints.length === 1 && stats.frames > 0 ? selectBodies(sk, { joints: stats.joints[0] }) : null;
  return {
    file,
    kind: 'skeleton',
    ...stats,
    seconds: stats.frames / 30,
    jointTracking: { notTracked: tracking[0], inferred: tracking[1], tracked: tracking[2] },
    name: name && { ...name, actionName: name.action > 0 && name.action <= 120 ? ntuActionName(name.action) : null },
    selection: sel && { frames: sel.T, bodies: sel.ids },
  };
}

function inspectCache(file: string) {
  const ds = openDataset(file);
  const h = ds.header;
  const perClass = new Array<number>(h.labels.length).fill(0);
  let unlabelled = 0;
  // The ids splits can use (subjects:, cameras:, recordings:, given), so users can choose one.
  const ids = { subjects: new Set<number>(), cameras: new Set<number>(), recordings: new Set<number>() };
  const given = { train: 0, test: 0 };
  for (let i = 0; i < ds.count; i++) {
    const l = ds.label(i);
    if (l >= 0) perClass[l]++;
    else unlabelled++;
    const m = ds.meta(i);
    if (m.subject) ids.subjects.add(m.subject);
    if (m.camera) ids.cameras.add(m.camera);
    if (m.recording) ids.recordings.add(m.recording);
    if (m.split) given[m.split]++;
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return {
    file,
    kind: 'cache',
    samples: h.count,
    frames: h.totalFrames,
    layout: h.layout,
    dims: ds.jointLayout.dims,
    bodies: h.bodies,
    joints: h.joints,
    jointNames: ds.jointLayout.joints,
    frameSize: ds.frameSize,
    dtype: h.dtype,
    quantum: h.quantum,
    fps: h.fps,
    labels: h.labels.map((l, k) => ({ ...l, samples: perClass[k] })),
    unlabelled,
    hasFrameLabels: h.hasFrameLabels,
    subjects: sorted(ids.subjects),
    cameras: sorted(ids.cameras),
    recordings: sorted(ids.recordings),
    givenSplit: given,
    source: h.source,
  };
}

function inspectText(r: Record<string, any>): string {
  if (r.kind === 'cache') {
    const lines = [
      `${r.file}: cache of ${r.samples} samples, ${r.frames} frames, ${r.layout}${r.dims === 2 ? ' (2D)' : ''} x ${r.bodies} bodies (${r.frameSize} values/frame), ${r.dtype}`,
      ...(['subjects', 'cameras', 'recordings'] as const)
        .filter((k) => r[k].length > 0)
        .map((k) => `  ${k}: ${r[k].length > 20 ? `${r[k].length} (${r[k][0]}..${r[k].at(-1)})` : r[k].join(', ')}`),
      ...(r.givenSplit.train + r.givenSplit.test > 0
        ? [`  own split: ${r.givenSplit.train} train, ${r.givenSplit.test} test`]
        : []),
      ...r.labels.map(
        (l: any, k: number) =>
          `  ${String(k).padStart(3)} ${l.ntuAction ? `A${String(l.ntuAction).padStart(3, '0')} ` : ''}${l.name}: ${l.samples}`,
      ),
    ];
    if (r.unlabelled)
      lines.push(`  unlabelled (streams): ${r.unlabelled}${r.hasFrameLabels ? ', with per-frame labels' : ''}`);
    return lines.join('\n');
  }
  const n = r.name;
  return [
    `${r.file}: ${r.frames} frames (${r.seconds.toFixed(2)} s at 30 fps), joints ${r.joints.join('/') || '-'}`,
    `  bodies per frame: ${Object.entries(r.bodiesPerFrame)
      .map(([b, c]) => `${b}: ${c}`)
      .join(', ')}; body ids: ${r.bodyIds.join(', ') || '-'}`,
    `  joint tracking: ${r.jointTracking.tracked} tracked, ${r.jointTracking.inferred} inferred, ${r.jointTracking.notTracked} not tracked`,
    n
      ? `  setup ${n.setup}, camera ${n.camera}, performer ${n.performer}, replication ${n.replication}, action ${n.action}${n.actionName ? ` (${n.actionName})` : ''}`
      : '  (not an NTU sample name)',
    r.selection
      ? `  two-body selection: ${r.selection.frames} frames, bodies ${r.selection.bodies.map((b: string | null) => b ?? '(zero-filled)').join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function buildText(r: BuildReport, out: string): string {
  const h = r.header;
  return `${out}: ${h.count} samples, ${h.totalFrames} frames, ${h.labels.length} classes, ${h.layout} x ${h.bodies} bodies, in ${formatDuration(r.seconds)} (skipped: ${Object.entries(
    r.skipped,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('skeleton data: inspect, build caches, generate synthetic NTU data, baseline');

  data
    .command('inspect')
    .description(
      'describe a .skeleton file (frames, bodies, joints, tracking, metadata from its name) or a dataset cache',
    )
    .argument('<file>', '.skeleton file or dataset cache')
    .option('--joints <n>', 'joints per body the file must have (0 = any)', intOption(0), 25)
    .option('--json', 'print JSON')
    .action((file: string, o: { joints: number; json?: boolean }) => {
      const r = isCache(file) ? inspectCache(file) : inspectSkeleton(file, o.joints === 0 ? null : o.joints);
      print(!!o.json, r, () => inspectText(r));
    });

  const build = data
    .command('build')
    .description(
      `read ${DATA_FORMATS.map((f) => f.description).join(', ')} or JSON Lines into one binary dataset cache`,
    )
    .option('--raw <dir>', 'folder of recordings in --format')
    .option(
      '--format <name>',
      `format of --raw: ${DATA_FORMATS.map((f) => `${f.name} (${f.folder})`).join(', ')}`,
      choiceOption(DATA_FORMATS.map((f) => f.name)),
      'ntu',
    )
    .option('--jsonl <file>', "users' own data, one JSON sample per line (see docs/data.md)")
    .option(
      '--layout-file <file>',
      'JSON Lines: a joint layout of your own (names, parents, root, torsoTop, leftRight, dims); repeatable',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--to-layout <layout>',
      'with --jsonl: convert mediapipe33 samples (MediaPipe Pose world landmarks) to kinect20 or ntu25 first (docs/mediapipe.md)',
    )
    .requiredOption('--out <file>', 'cache file to write')
    .option('--split <split>', `keep one part of a split: ${SPLIT_FORMS}`, splitOption)
    .option('--part <part>', 'train or test (with --split)', choiceOption(['train', 'test'] as const), 'train');
  for (const f of DATA_FORMATS) addSchemaFlags(build, f.options, f.name);
  build
    .option(
      '--bodies <n>',
      `bodies per frame (default: ${DATA_FORMATS.map((f) => `${f.name} ${f.bodies}`).join(', ')}, JSON Lines the most any sample has)`,
      intOption(1),
    )
    .option('--float32', 'store exact float32 positions instead of int16 (twice the size)')
    .option('--limit <n>', 'stop after n samples', intOption(1))
    .option('--json', 'print the summary as JSON')
    .action(
      (
        o: {
          raw?: string;
          format: string;
          jsonl?: string;
          layoutFile?: string[];
          toLayout?: string;
          out: string;
          split?: string;
          part: 'train' | 'test';
          bodies?: number;
          float32?: boolean;
          limit?: number;
          json?: boolean;
        },
        command: Command,
      ) => {
        if (!o.raw === !o.jsonl) throw new InvalidArgumentError('give exactly one of --raw <dir> and --jsonl <file>');
        if (o.layoutFile && !o.jsonl) throw new InvalidArgumentError('--layout-file goes with --jsonl');
        if (o.toLayout && !o.jsonl) throw new InvalidArgumentError('--to-layout goes with --jsonl');
        const format = DATA_FORMATS.find((f) => f.name === o.format)!;
        for (const f of DATA_FORMATS)
          for (const key of Object.keys(schemaFlagValues(command, f.options)))
            if (f !== format)
              throw new InvalidArgumentError(`${flagName(f.options, key)} goes with --format ${f.name}`);
        const bar = new Progress({ label: 'build', unit: o.jsonl ? 'samples' : format.unit, quiet: !!o.json });
        const common = {
          out: o.out,
          split: o.split,
          part: o.part,
          bodies: o.bodies,
          dtype: o.float32 ? ('float32' as const) : ('int16' as const),
          limit: o.limit,
          onProgress: bar.onProgress,
        };
        const layouts = new Map<string, Layout>();
        for (const f of o.layoutFile ?? []) {
          const l = readLayoutFile(f);
          if (layouts.has(l.name)) throw new InvalidArgumentError(`${f}: layout '${l.name}' is given twice`);
          layouts.set(l.name, l);
        }
        let r: BuildReport;
        try {
          r = o.jsonl
            ? buildJsonlCache({ ...common, jsonl: o.jsonl, layouts, toLayout: o.toLayout })
            : format.build({ ...common, raw: o.raw! }, schemaFlagValues(command, format.options));
        } finally {
          bar.stop();
        }
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        const { ids: _ids, sections: _s, layoutSpec: _l, ...header } = r.header;
        print(!!o.json, { out: o.out, ...r, header }, () => buildText(r, o.out));
      },
    );

  data
    .command('synth')
    .description(
      'write a synthetic NTU-format dataset: genuine .skeleton files named SsssCcccPpppRrrrAaaa, plus dataset.json',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <s>', 'random seed (the same seed writes the same files)', intOption(0), 1)
    .option('--subjects <n>', 'performers P001..Pn', intOption(1), 40)
    .option('--cameras <list>', 'cameras (1 = 0 deg, 2 = -45, 3 = +45)', intList, [1, 2, 3])
    .option('--replications <n>', 'replications per performer and action', intOption(1), 2)
    .option('--actions <ids>', `NTU action ids (default all: ${DEFAULT_ACTIONS.join(',')})`, intList)
    .option(
      '--streams <n>',
      'also write n continuous recordings chaining actions, with per-frame labels, under streams/',
      intOption(0),
      0,
    )
    .option('--stream-seconds <s>', 'length of each stream', intOption(1), 60)
    .option('--jobs <n>', 'worker threads (default: up to 4, one per CPU)', intOption(1))
    .option('--json', 'print the summary as JSON')
    .action(async (o: SynthOptions & { json?: boolean }) => {
      const bar = new Progress({ label: 'synth', unit: 'files', quiet: !!o.json });
      const r = await writeSynthDataset({ ...o, onProgress: bar.onProgress });
      bar.stop();
      print(
        !!o.json,
        r,
        () =>
          `${r.dir}: ${r.files} files${r.streams ? ` + ${r.streams} streams` : ''}, ${r.frames} frames, ${(r.bytes / 1e6).toFixed(0)} MB in ${formatDuration(r.seconds)}`,
      );
    });

  data
    .command('baseline')
    .description('accuracy of a linear softmax classifier on time-averaged normalised poses (a non-recurrent baseline)')
    .option('--cache <file>', 'cache with all samples; the split picks train and test')
    .option('--split <list>', 'comma-separated NTU splits, or one split of any form, to evaluate', splitList, [
      'ntu60-xsub',
      'ntu60-xview',
    ])
    .option('--train <file>', 'training cache (instead of --cache/--split)')
    .option('--test <file>', 'test cache (with --train)')
    .option(
      '--center <how>',
      "centring: 'per-frame' (pose only) or 'first-frame' (keeps displacement)",
      choiceOption(['per-frame', 'first-frame', 'none'] as const),
      'per-frame',
    )
    .option(
      '--segments <n>',
      'average over n equal time segments and concatenate (1 = plain time average)',
      intOption(1),
      1,
    )
    .option('--epochs <n>', 'full-batch Adam epochs', intOption(1), 200)
    .option('--json', 'print JSON')
    .action(
      (o: {
        cache?: string;
        split: string[];
        train?: string;
        test?: string;
        center: 'per-frame' | 'first-frame' | 'none';
        segments: number;
        epochs: number;
        json?: boolean;
      }) => {
        if (!o.cache === !(o.train && o.test))
          throw new InvalidArgumentError('give --cache <file>, or --train <file> and --test <file>');
        const pairs = o.cache
          ? o.split.map((split) => ({
              name: split,
              train: { path: o.cache!, split, part: 'train' as const },
              test: { path: o.cache!, split, part: 'test' as const },
            }))
          : [{ name: 'train/test', train: { path: o.train! }, test: { path: o.test! } }];
        const results = pairs.map((p) => {
          const probe = openDataset(p.train.path);
          const pp = defaultPreprocessConfig(probe.jointLayout, probe.bodies, { center: o.center });
          const train = openDataset(p.train.path, { ...p.train, preprocess: pp });
          const test = openDataset(p.test.path, { ...p.test, preprocess: pp });
          const r = runBaseline(train, test, o.segments, { epochs: o.epochs });
          return { split: p.name, preprocess: pp, ...r, labels: train.labels };
        });
        print(!!o.json, results, () =>
          results
            .map((r) => {
              const worst = r.test.perClass
                .map((a, k) => ({ a, name: r.labels[k].name }))
                .sort((x, y) => x.a - y.a)
                .slice(0, 4)
                .map((c) => `${c.name} ${(100 * c.a).toFixed(0)}%`);
              return `${r.split}: test accuracy ${(100 * r.test.accuracy).toFixed(1)} % on ${r.test.samples} samples (train ${(100 * r.train.accuracy).toFixed(1)} % on ${r.train.samples}); weakest: ${worst.join(', ')}`;
            })
            .join('\n'),
        );
      },
    );
}
