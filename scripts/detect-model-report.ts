// Writes the model card of a detection model trained on untrimmed real recordings: models/<name>.md and
// models/<name>-curves.svg. Every number is computed here or read from the reports given, none typed in.
// --eval: `indrnn eval --detection --json` on the held-out recordings (default rule); --rule: the same on
// the training recordings with other rules (how the default was chosen); --recipe: validation reports of
// the recipes compared before training the shipped one; --trimmed-cache and --plain-model: the trimmed
// clips of the same split, on which the detection model is compared with the plain classifier.
// (scripts/make-detect-model.sh runs it.)
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectionReport } from '../src/cli/eval-detection.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { trainingCurvesSvg } from '../src/train/plots.js';
import { SkeletonTask } from '../src/train/tasks/skeleton.js';
import type { TrainSummary } from '../src/train/trainer.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { historyTable, pct, writeCardPlots } from './run-report.js';
import { scriptArgs } from './script-args.js';

const { values: a } = scriptArgs({
  name: 'detect-model-report',
  about:
    'write the model card of a detection model trained on untrimmed real recordings (models/NAME.md and models/NAME-curves.svg), every number computed from the reports given',
  options: {
    name: { type: 'string', arg: 'NAME', help: 'the model name (required)' },
    run: { type: 'string', arg: 'RUN_DIR', help: 'its training run (required)' },
    model: { type: 'string', arg: 'FILE', help: 'the exported model (required)' },
    eval: {
      type: 'string',
      arg: 'REPORT.json',
      help: '`indrnn eval --detection --json` on the held-out recordings (required)',
    },
    intro: { type: 'string', arg: 'FILE', help: "the card's opening prose (required)" },
    commands: { type: 'string', arg: 'FILE', help: 'the exact commands (required)' },
    'trimmed-cache': { type: 'string', arg: 'CACHE', help: 'the trimmed clips of the same split (required)' },
    'plain-model': { type: 'string', arg: 'FILE', help: 'the plain classifier compared on them (required)' },
    rule: {
      type: 'string',
      multiple: true,
      default: [],
      arg: 'LABEL=REPORT.json',
      help: 'the eval on the training recordings with another rule',
    },
    recipe: {
      type: 'string',
      multiple: true,
      default: [],
      arg: 'LABEL=REPORT.json',
      help: 'validation report of a recipe compared',
    },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'where the card goes' },
  },
  examples: ['scripts/make-detect-model.sh DATA_DIR   (runs it with every argument)'],
});
for (const k of ['name', 'run', 'model', 'eval', 'intro', 'commands', 'trimmed-cache', 'plain-model'] as const) {
  if (!a[k]) throw new Error(`--${k} is required`);
}

const readReport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as DetectionReport;
/** "LABEL=FILE" -> [label, report]. */
const labelled = (list: string[]) =>
  list.map((s) => {
    const i = s.indexOf('=');
    if (i < 0) throw new Error(`expected LABEL=REPORT.json, got '${s}'`);
    return [s.slice(0, i), readReport(s.slice(i + 1))] as const;
  });

const held = readReport(a.eval!);
const rules = labelled(a.rule!);
const recipes = labelled(a.recipe!);
const summary = JSON.parse(readFileSync(join(a.run!, 'summary.json'), 'utf8')) as TrainSummary;
const { contract: c, taskInfo: info } = summary;
const shares = Array.isArray(info.trainClassShares) ? info.trainClassShares : [];
const delay = (r: DetectionReport) =>
  r.meanStartDelayFrames === null
    ? 'n/a'
    : `${r.meanStartDelayFrames.toFixed(1)} (${(r.meanStartDelayFrames / 30).toFixed(2)} s)`;
const figureRow = (label: string, r: DetectionReport) =>
  `| ${label} | ${pct(r.frameAccuracy)} | ${r.mAP['0.1'].toFixed(3)} | ${r.mAP['0.3'].toFixed(3)} | **${r.mAP['0.5'].toFixed(3)}** | ${delay(r)} | ${r.detectedInstances}/${r.trueInstances} | ${r.falseStartsPerMinute?.toFixed(2) ?? 'n/a'} |`;
const figureHead = `| | frame accuracy | mAP@0.1 | mAP@0.3 | mAP@0.5 | start delay, frames | actions detected | false starts / min of no action |
|---|---|---|---|---|---|---|---|`;

/**
 * Top-1 on the held-out trimmed clips, read at the last step of each clip's centre window (the plain
 * classifier's protocol): over all the model's classes, and over the actions only (background ignored).
 */
async function trimmedAccuracy(file: string): Promise<{ all: number; actions: number; count: number }> {
  const model = await IndrnnModel.load(file, { provider: 'cpu' });
  const m = model.metadata;
  const s = m.sampling?.kind === 'rate' ? m.sampling : { fps: 10, window: 32 };
  const task = new SkeletonTask({
    cache: a['trimmed-cache']!,
    split: held.split,
    sampling: { kind: 'rate', fps: s.fps, window: s.window, warmup: 0 },
    center: 'per-frame',
    augment: false,
    seed: 1,
  });
  const background = m.labels.findIndex((l) => l.name === m.background);
  const byName = new Map(m.labels.map((l, i) => [l.name, i]));
  const toModel = (task.labels ?? []).map((n) => byName.get(n) ?? -1);
  const K = m.num_outputs;
  let all = 0;
  let actions = 0;
  let count = 0;
  for (const b of task.evalBatches(128)) {
    const { T, B } = b.x;
    const { logits } = await model.run(b.x.data, T, B);
    for (let i = 0; i < B; i++) {
      const row = ((T - 1) * B + i) * K;
      let best = 0;
      let bestAction = background === 0 ? 1 : 0;
      for (let k = 0; k < K; k++) {
        if (logits[row + k] > logits[row + best]) best = k;
        if (k !== background && logits[row + k] > logits[row + bestAction]) bestAction = k;
      }
      const truth = toModel[b.labels![i]];
      if (best === truth) all++;
      if (bestAction === truth) actions++;
      count++;
    }
  }
  await model.release();
  return { all: all / count, actions: actions / count, count };
}

const detect = await trimmedAccuracy(a.model!);
const plain = await trimmedAccuracy(a['plain-model']!);
const svgName = writeCardPlots(a.models!, a.name!, {
  curves: trainingCurvesSvg(summary, `Training curves: ${a.name}`),
}).curves;
const ths = Object.keys(held.mAP);
const classes = Object.keys(held.apPerClass[ths[0]]);
const md = `# ${a.name}

${readFileSync(a.intro!, 'utf8').trim()}

- Layout ${c.layout}, ${c.bodies} bodies x ${c.joints} joints x xyz; ${info.trainRecordings} training and ${info.testRecordings} held-out recordings (split \`${held.split}\`), ${info.trainSamples} training windows.
- Labels: the 8 interactions and the background \`${held.background}\` (metadata \`background\`), ${held.labels.length} classes.
- Preprocessing (shared by training and the server): \`${JSON.stringify(c.preprocessing)}\`.
- Sampling: \`${JSON.stringify(c.sampling)}\`, recordings at ${c.frame_rate} fps.
- Share of each class among the training frames: ${shares.map((v, k) => `${held.labels[k]} ${pct(v)}`).join(', ')}.

## Detection on the held-out recordings

${held.recordings} recordings, ${held.frames} frames (${(held.frames / 30 / 60).toFixed(1)} min), ${held.trueInstances} actions,
${held.backgroundMinutes.toFixed(1)} min of no action; \`indrnn eval --detection\` with the default decision rule
\`${JSON.stringify(held.rule)}\` (docs/streaming.md, "Action events", says what each figure means).

${figureHead}
${figureRow('this model', held)}

Median start delay ${held.medianStartDelayFrames} frames. Anchor: published recurrent baselines on the full
PKU-MMD (51 classes, 944 training videos) report cross-subject mAP@0.5 around 0.5; this is a smaller task
(8 interactions instead of 51) with far less training data (${info.trainRecordings} recordings), so the two
are not directly comparable.

AP per class:

| class | ${ths.map((t) => `AP@${t}`).join(' | ')} |
|---|${ths.map(() => '---').join('|')}|
${classes.map((c) => `| ${c} | ${ths.map((t) => held.apPerClass[t][c].toFixed(2)).join(' | ')} |`).join('\n')}

## The decision rule

${
  rules.length
    ? `The server's default rule against others, on the same model and the ${rules[0][1].recordings} **training**
recordings (the held-out ones were not used to choose it). The differences are small: the default sits
between the more eager rules (earlier starts, more false starts) and the stricter ones (fewer false starts,
later starts).

${figureHead}
${rules.map(([l, r]) => figureRow(`${l}: \`${JSON.stringify(r.rule)}\``, r)).join('\n')}

A higher \`minSteps\` or \`startThreshold\` trades start delay for fewer false starts; set them per stream
(\`config\`) or per request (\`decision\`).`
    : 'The default rule of the server.'
}

${
  recipes.length
    ? `## How the recipe was chosen

Before training this model, candidate recipes were trained on recordings 1-199 and compared on recordings
200-249 (validation; the held-out recordings 250+ were not used): the same figures, default rule.

${figureHead}
${recipes.map(([l, r]) => figureRow(l, r)).join('\n')}
`
    : ''
}
## On trimmed clips (against the plain classifier)

The held-out trimmed clips of the same split (the labelled intervals cut out), read as the plain
\`pku-mmd\` model's card reads them: the last step of each clip's centre 3.2 s window.

| model | top-1, all its classes | top-1 among the 8 actions | clips |
|---|---|---|---|
| this model | ${pct(detect.all)} (\`${held.background}\` counts as wrong) | ${pct(detect.actions)} | ${detect.count} |
| \`${a['plain-model']}\` | ${pct(plain.all)} | ${pct(plain.actions)} | ${plain.count} |

${
  detect.all >= plain.all
    ? 'It is at least as good on trimmed clips as the plain classifier.'
    : 'The plain classifier stays the better choice for trimmed clips (HTTP predict on a cut action), so this model ships beside it rather than replacing it.'
}

## Training

![training curves](${svgName})

Held-out accuracy here: the most probable class (background included) at the last step of windows of
${c.sampling?.kind === 'rate' ? c.sampling.window : c.window} steps tiling the held-out recordings.

${historyTable(summary)}

Stopped because: ${summary.stopReason}; ${summary.steps} steps, ${(summary.wallTimeSec / 60).toFixed(1)} min
at ${summary.samplesPerSec.toFixed(0)} windows/s on a shared 2-core x86-64 VM, CPU only. The final weights
are the model (no model selection on the held-out recordings).

Network: \`${JSON.stringify(summary.config.network)}\` (${summary.parameters} parameters).
Optimiser: Adam \`${JSON.stringify(summary.config.optimizer)}\`, schedule \`${JSON.stringify(summary.config.schedule)}\`,
batch ${summary.config.batchSize}, seed ${summary.config.seed}.

## Commands

${'```sh'}
${readFileSync(a.commands!, 'utf8').trim()}
${'```'}

## File

\`${a.model}\`: ${(statSync(a.model!).size / 1e6).toFixed(2)} MB ONNX (one Loop per IndRNN layer, batch norm
folded), metadata as in docs/design.md's contract plus \`background\`. It streams (rate-sampled, staggered
states) and sends action events; HTTP predict gives \`segments\`.
`;
writeFileAtomic(join(a.models!, `${a.name}.md`), md);
process.stdout.write(`wrote ${join(a.models!, `${a.name}.md`)} and ${svgName}\n`);
