// Writes the evaluation report of the shipped model: models/<name>.md, <name>-curves.svg and <name>-confusion.svg.
// (scripts/make-default-model.sh runs it; every number in the report is computed here, none typed in.)
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OrtBackend } from '../src/nn/backend.js';
import type { Sampling } from '../src/onnx/metadata.js';
import { confusionSvg, curvesSvg, evaluatedOn } from '../src/train/plots.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { confusionTable, evaluateRun, writeCardPlots } from './run-report.js';
import { scriptArgs } from './script-args.js';

const { values: a } = scriptArgs({
  name: 'model-report',
  about:
    'write the evaluation report of a shipped synthetic model (models/NAME.md and models/NAME-curves.svg), every number computed from the runs',
  options: {
    name: { type: 'string', arg: 'NAME', help: 'the model name (required)' },
    xsub: { type: 'string', arg: 'RUN_DIR', help: 'the cross-subject training run (required)' },
    xview: { type: 'string', arg: 'RUN_DIR', help: 'the cross-view training run (required)' },
    baseline: { type: 'string', arg: 'FILE', help: 'the baseline report (required)' },
    'baseline-first-frame': { type: 'string', arg: 'FILE', help: 'the first-frame baseline report (required)' },
    synth: { type: 'string', arg: 'FILE', help: "the data's summary (`indrnn data synth --json`; required)" },
    model: { type: 'string', arg: 'FILE', help: 'the exported model (required)' },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'where the report goes' },
  },
  examples: ['scripts/make-default-model.sh   (runs it with every argument)'],
});
for (const k of ['name', 'xsub', 'xview', 'baseline', 'baseline-first-frame', 'synth', 'model'] as const) {
  if (!a[k]) throw new Error(`--${k} is required`);
}

interface BaselineResult {
  split: string;
  test: { accuracy: number; samples: number };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function samplingText(s: Sampling | undefined): string {
  if (!s) return 'Every frame a step.';
  if (s.kind === 'segments') {
    return `The paper's sampling: each sequence split into ${s.segments} segments, one frame from each (random in training, the centre at test time); the classifier reads the last step. For whole actions (HTTP predict), not for streams.`;
  }
  return `Fixed rate for streaming: frames resampled to ${s.fps} steps/s; windows of ${s.window} steps (a random crop in training, the centre crop at test time; shorter actions preceded by their first frame held still); a label at every step after a short warm-up, so the prediction at every step is meaningful. Accuracy below is read at the last step of each test window.`;
}

const backend = new OrtBackend();
const xsub = await evaluateRun(a.xsub!, backend);
const xview = await evaluateRun(a.xview!, backend);
await backend.release();
const readBaseline = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as BaselineResult[];
const baselines = readBaseline(a.baseline!);
const baselinesFF = readBaseline(a['baseline-first-frame']!);
const accuracyOf = (results: BaselineResult[], split: string) =>
  results.find((b) => b.split === split)?.test.accuracy ?? Number.NaN;
const synth: unknown = JSON.parse(readFileSync(a.synth!, 'utf8'));
const c = xsub.ckpt.state.contract;
const net = xsub.ckpt.config.network;
const plots = writeCardPlots(a.models!, a.name!, {
  curves: curvesSvg(
    [
      { label: 'cross-subject', colour: '#2b6cb0', history: xsub.summary.history },
      { label: 'cross-view', colour: '#c53030', history: xview.summary.history },
    ],
    { metric: 'accuracy', evaluatedOn: evaluatedOn(xsub.summary), title: `Training curves: ${a.name}` },
  ),
  confusion: confusionSvg(xsub.report, `${a.name}, cross-subject test set`),
});
const svgName = plots.curves;
const md = `# ${a.name}: the shipped model

**Trained on synthetic data only.** No real NTU RGB+D recording was used: the real dataset cannot be
downloaded here. The data is made by \`indrnn data synth\` (procedural actions on a 25-joint kinematic
skeleton, genuine NTU \`.skeleton\` files; see docs/data.md). Expect it to recognise these synthetic actions;
on real Kinect data it must be retrained (README: "Training on real NTU RGB+D").

Reproduce: \`scripts/make-default-model.sh\` (generates the data with a fixed seed, trains, evaluates,
exports, writes this report).

## Data

${'```json'}
${JSON.stringify(synth, null, 2)}
${'```'}

- Layout ${c.layout}, ${c.bodies} bodies x ${c.joints} joints x xyz = ${net.inputSize} values per frame.
- Preprocessing (shared by training and the server): ${'`'}${JSON.stringify(c.preprocessing)}${'`'}.
- Sampling: ${'`'}${JSON.stringify(c.sampling)}${'`'}, recordings at ${c.frame_rate} fps. ${samplingText(c.sampling)}

## Classes

| index | label | NTU action |
|---|---|---|
${c.labels.map((l, k) => `| ${k} | ${l.name} | ${l.ntuAction ?? '-'} |`).join('\n')}

## Accuracy

| split | IndRNN (this model's recipe) | baseline: time-averaged pose | baseline: time-averaged pose, first-frame centring | test sequences |
|---|---|---|---|---|
| cross-subject (ntu60-xsub) | **${pct(xsub.report.accuracy)}** | ${pct(accuracyOf(baselines, 'ntu60-xsub'))} | ${pct(accuracyOf(baselinesFF, 'ntu60-xsub'))} | ${xsub.report.count} |
| cross-view (ntu60-xview) | **${pct(xview.report.accuracy)}** | ${pct(accuracyOf(baselines, 'ntu60-xview'))} | ${pct(accuracyOf(baselinesFF, 'ntu60-xview'))} | ${xview.report.count} |

The baselines are linear softmax classifiers on the time-averaged, normalised pose (\`indrnn data baseline\`),
non-recurrent: the first centres every frame on the body (pose only), the second keeps displacement from
the first frame (as this model's preprocessing does), which gives away sit down vs stand up.

The shipped file is the cross-subject model. Per-class accuracy (cross-subject / cross-view):

| class | cross-subject | cross-view |
|---|---|---|
${xsub.report.perClass.map((c, k) => `| ${c.label} | ${pct(c.accuracy)} | ${pct(xview.report.perClass[k].accuracy)} |`).join('\n')}

Confusion matrix, cross-subject test set (rows: true class, columns: predicted index):

${confusionTable(xsub.report)}

![confusion matrix](${plots.confusion})

## Training

![training curves](${svgName})

| | cross-subject | cross-view |
|---|---|---|
| steps | ${xsub.summary.steps} | ${xview.summary.steps} |
| stopped because | ${xsub.summary.stopReason} | ${xview.summary.stopReason} |
| wall time | ${(xsub.summary.wallTimeSec / 60).toFixed(1)} min | ${(xview.summary.wallTimeSec / 60).toFixed(1)} min |
| training samples/s | ${xsub.summary.samplesPerSec.toFixed(0)} | ${xview.summary.samplesPerSec.toFixed(0)} |

Network: ${'`'}${JSON.stringify(net)}${'`'} (${xsub.summary.parameters} parameters).
Optimiser: Adam ${JSON.stringify(xsub.ckpt.config.optimizer)}, schedule ${'`'}${JSON.stringify(xsub.ckpt.config.schedule)}${'`'},
batch ${xsub.ckpt.config.batchSize}, seed ${xsub.ckpt.config.seed}. Machine: 2-core x86-64 VM, CPU only.

## File

\`${a.model}\`: ${(statSync(a.model!).size / 1e6).toFixed(2)} MB ONNX (opset 17, one Loop per IndRNN layer,
batch norm folded into the following Linear), metadata as in the contract of [docs/design.md](../docs/design.md).
`;
writeFileAtomic(join(a.models!, `${a.name}.md`), md);
process.stdout.write(`wrote ${join(a.models!, `${a.name}.md`)} and ${svgName}\n`);
