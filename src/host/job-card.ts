// The model card of a model a training job made (model.md beside its model.onnx): what it recognises, from
// what, how it was trained and how well it did on the takes held out of training.
import type { JobView } from './job-view.js';

const percent = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : '-');

export function jobCard(
  job: JobView,
  version: string,
  summary: Record<string, unknown>,
  trainArgs: readonly string[],
): string {
  const m = job.metrics;
  const classes = [...job.actions, ...(job.background ? ['no action (background: takes of nothing)'] : [])];
  return [
    `# ${job.name} (version ${version})`,
    '',
    `Trained on the server by training job \`${job.id}\` (${job.created}) from ${job.samples} recorded takes`,
    `(${job.frames} frames), ${job.base ? `starting from the model \`${job.base}\` (its weights, \`--init\`)` : 'from scratch'}.`,
    `${job.background ? 'A detection model: it streams, and says "no action" between actions.' : 'A classifier of whole takes.'}`,
    '',
    '## Classes',
    '',
    ...classes.map((c) => `- ${c}`),
    '',
    '## Training',
    '',
    `- Command: \`indrnn ${trainArgs.join(' ')}\``,
    `- ${String(summary.steps)} steps (${String(m.epochs)} epochs), ${String(summary.parameters)} parameters, final training loss ${Number(summary.finalTrainLoss).toPrecision(4)}.`,
    m.heldOutTakes
      ? `- On the ${String(m.heldOutTakes)} takes held out of training (the last fifth of each action's): ${summary.metric} ${percent(summary.finalTestMetric)}. So few takes measure little: try the model on new ones.`
      : '- No take was held out (one take per action): nothing measured how well it does.',
    '',
  ].join('\n');
}
