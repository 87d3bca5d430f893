// Writes the model card of a model trained on real recordings: models/<name>.md, <name>-curves.svg and
// <name>-confusion.svg.
// --run is the shipped recipe's training run, --default-run the same data and split trained with the trainer's
// defaults (for comparison); --final-run, when given, the same recipe trained on every sample (split all),
// whose weights are the ones shipped (the held-out figures stay those of --run); --intro is the card's opening prose (data, licence, split), --commands the exact
// commands. Every number in the card is computed here from the runs, none typed in.
// (scripts/make-real-models.sh runs it.)
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OrtBackend } from '../src/nn/backend.js';
import { type Checkpoint, loadCheckpoint } from '../src/train/checkpoint.js';
import { confusionSvg, trainingCurvesSvg } from '../src/train/plots.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { confusionTable, type EvaluatedRun, evaluateRun, historyTable, pct, writeCardPlots } from './run-report.js';
import { scriptArgs } from './script-args.js';

const { values: a } = scriptArgs({
  name: 'real-model-report',
  about:
    'write the model card of a model trained on real recordings (models/NAME.md and models/NAME-curves.svg), every number computed from the runs',
  options: {
    name: { type: 'string', arg: 'NAME', help: 'the model name (required)' },
    run: { type: 'string', arg: 'RUN_DIR', help: "the shipped model's training run (required)" },
    'default-run': {
      type: 'string',
      arg: 'RUN_DIR',
      help: "the same data trained with the trainer's defaults (required; may be --run)",
    },
    'final-run': {
      type: 'string',
      arg: 'RUN_DIR',
      help: 'the same recipe trained on every sample (--split all), exported as the model; the figures stay those of --run',
    },
    model: { type: 'string', arg: 'FILE', help: 'the exported model (required)' },
    intro: { type: 'string', arg: 'FILE', help: "the card's opening prose (required)" },
    commands: { type: 'string', arg: 'FILE', help: 'the exact commands (required)' },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'where the card goes' },
  },
  examples: ['scripts/make-real-models.sh DATA_DIR   (runs it with every argument)'],
});
for (const k of ['name', 'run', 'default-run', 'model', 'intro', 'commands'] as const) {
  if (!a[k]) throw new Error(`--${k} is required`);
}

const backend = new OrtBackend();
const best = await evaluateRun(a.run!, backend);
// The shipped recipe may be the defaults themselves: then there is one run to show.
const sameRun = a['default-run'] === a.run;
const dflt = sameRun ? best : await evaluateRun(a['default-run']!, backend);
await backend.release();
const finalRun = a['final-run'] ? loadCheckpoint(join(a['final-run'], 'checkpoint.safetensors')) : null;
if (finalRun) checkSameRecipe(best.ckpt, finalRun, a['final-run']!);
const { contract: c, taskInfo: info } = best.ckpt.state;
// Input streams, as the run's options resolved them (a run from before streams reads back as joints alone).
const streams = String(best.ckpt.config.task.options.features).split(',').length;
const net = best.ckpt.config.network;
const plots = writeCardPlots(a.models!, a.name!, {
  curves: trainingCurvesSvg(best.summary, `Training curves: ${a.name}`),
  confusion: confusionSvg(best.report, `${a.name} on the held-out set`),
});
const svgName = plots.curves;
/** Refuses a final run whose recipe (network, options other than the cache path, split and validation, seed) is not --run's. */
function checkSameRecipe(run: Checkpoint, final: Checkpoint, dir: string): void {
  const recipeOf = (k: Checkpoint) => {
    const { split: _s, validation: _v, cache: _c, ...options } = k.config.task.options;
    return JSON.stringify({ network: k.config.network, options, seed: k.config.seed, optimizer: k.config.optimizer });
  };
  if (recipeOf(run) !== recipeOf(final))
    throw new Error(`--final-run ${dir}: its recipe is not --run's (${recipeOf(final)} vs ${recipeOf(run)})`);
  if (final.config.task.options.split !== 'all')
    throw new Error(`--final-run ${dir}: trained on split ${final.config.task.options.split}, not all`);
}

/** The paragraph on weights trained on every sample: what they are, and what the figures below are of. */
function finalRunText(final: Checkpoint): string {
  const s = final.state;
  const held = s.taskInfo.validationSamples
    ? `, less a validation part of ${s.taskInfo.validationSamples} to choose the weights on`
    : '';
  return `
**The shipped weights** are this recipe trained again on every clip: ${s.taskInfo.trainSamples} of them (\`--split all\`${held}; ${s.step} steps, ${held ? 'the weights chosen on it' : 'the final weights'}). They have no held-out figure of their own: the figures below are those of the same recipe and seed trained on the split \`${best.ckpt.config.task.options.split}\`, on which it was chosen.
`;
}

/** How the model's weights were chosen, and so what the held-out accuracy above is of. */
function selectionText(s: EvaluatedRun['summary']): string {
  if (s.selection === 'validation' && s.validation)
    return `The held-out accuracy above is that of the chosen weights: those of step ${s.validation.bestStep}, the best evaluation, after the learning-rate decay, on a validation part carved out of the training part (${pct(s.validation.bestMetric)}; the last one ${pct(s.validation.finalMetric)}); the held-out part was read once, at the end.`;
  return 'The held-out accuracy above is that of the final weights (the step schedule keeps the last ones; no model selection on the held-out set).';
}

const recipe = (r: EvaluatedRun) => {
  const n = r.ckpt.config.network;
  const o = r.ckpt.config.task.options; // read through the skeleton task's options schema: defaults filled in
  const steps = o.sampling === 'rate' ? 'rate-sampled' : `${o.segments} segments`;
  const bodies = r.ckpt.state.contract.bodies ?? 1;
  const order = bodies > 1 ? `, bodies in the ${o.bodyOrder ?? 'sensor'} order` : '';
  const streams = o.features && String(o.features) !== 'joints' ? `, input streams ${String(o.features)}` : '';
  const whole = o.validation === 0 ? ', the whole training part (no validation part: the final weights)' : '';
  return `${n.arch} ${n.depth} x ${n.hiddenSize}, dropout ${n.dropout}, ${steps}${streams}${order}, rotation ±${o.rotateDeg}°, ${r.summary.epochs} epochs, ${r.ckpt.config.schedule.kind} schedule${whole}`;
};
const md = `# ${a.name}

${readFileSync(a.intro!, 'utf8').trim()}

- Layout ${c.layout}, ${c.bodies} bod${c.bodies === 1 ? 'y' : 'ies'} x ${c.joints} joints x ${c.dims === 2 ? 'xy (z 0)' : 'xyz'}${streams > 1 ? ` x ${streams} input streams` : ''} = ${net.inputSize} values per model step; ${info.trainSamples} training and ${info.testSamples} held-out sequences (split \`${best.ckpt.config.task.options.split}\`).
- Preprocessing (shared by training and the server): \`${JSON.stringify(c.preprocessing)}\`.
- Sampling: \`${JSON.stringify(c.sampling)}\`, recordings at ${c.frame_rate} fps.
${finalRun ? finalRunText(finalRun) : ''}
## Classes

| index | label | NTU action |
|---|---|---|
${c.labels.map((l, k) => `| ${k} | ${l.name} | ${l.ntuAction ?? '-'} |`).join('\n')}

## Accuracy on the held-out set

${
  sameRun
    ? `| recipe | top-1 | held-out sequences |
|---|---|---|
| this model, the trainer's defaults (no recipe flags): ${recipe(best)} | **${pct(best.report.accuracy)}** | ${best.report.count} |

Per class:

| class | this model | held-out sequences |
|---|---|---|
${best.report.perClass.map((c) => `| ${c.label} | ${pct(c.accuracy)} | ${c.count} |`).join('\n')}`
    : `| recipe | top-1 | held-out sequences |
|---|---|---|
| this model: ${recipe(best)} | **${pct(best.report.accuracy)}** | ${best.report.count} |
| the trainer's defaults (no recipe flags): ${recipe(dflt)} | ${pct(dflt.report.accuracy)} | ${dflt.report.count} |

Per class:

| class | this model | trainer's defaults | held-out sequences |
|---|---|---|---|
${best.report.perClass.map((c, k) => `| ${c.label} | ${pct(c.accuracy)} | ${pct(dflt.report.perClass[k].accuracy)} | ${c.count} |`).join('\n')}`
}

Confusion matrix of this model (rows: true class, columns: predicted index):

${confusionTable(best.report)}

![confusion matrix](${plots.confusion})

## Training

![training curves](${svgName})

${historyTable(best.summary)}

Stopped because: ${best.summary.stopReason}; ${best.summary.steps} steps, ${(best.summary.wallTimeSec / 60).toFixed(1)} min
at ${best.summary.samplesPerSec.toFixed(0)} samples/s on a shared 2-core x86-64 VM, CPU only. ${selectionText(best.summary)}

Network: \`${JSON.stringify(net)}\` (${best.summary.parameters} parameters).
Optimiser: Adam \`${JSON.stringify(best.ckpt.config.optimizer)}\`, schedule \`${JSON.stringify(best.ckpt.config.schedule)}\`,
batch ${best.ckpt.config.batchSize}, seed ${best.ckpt.config.seed}.

## Commands

${'```sh'}
${readFileSync(a.commands!, 'utf8').trim()}
${'```'}

## File

\`${a.model}\`: ${(statSync(a.model!).size / 1e6).toFixed(2)} MB ONNX (one Loop per IndRNN layer, batch norm
folded into the following Linear), metadata as in DESIGN.md's contract (labels, layout, preprocessing,
sampling, training data and metrics).
`;
writeFileAtomic(join(a.models!, `${a.name}.md`), md);
process.stdout.write(`wrote ${join(a.models!, `${a.name}.md`)} and ${svgName}\n`);
