// What the page knows about a model: its card (labels, layout, sampling, training data, accuracy,
// provider), whether it streams, whether a source's frames fit it, and the bones to draw for a layout.
import { getLayout, isBuiltinLayout } from '../data/layouts.js';
import type { ModelInfo } from './api.js';
import type { Source } from './sources.js';

/** Segment-sampled models cannot stream (docs/streaming.md): the page uses HTTP predict for them. */
export const streamable = (m: ModelInfo) => m.sampling?.kind !== 'segments';

/** Parent of each joint: the layout the model was trained with, or a built-in layout; [] when unknown. */
export function parentsOf(m: ModelInfo | null, layout: string): readonly number[] {
  if (m?.layout === layout && m.parents) return m.parents;
  return isBuiltinLayout(layout) ? getLayout(layout).parents : [];
}

/** Whether the source's frames fit the model; a reason when they do not. */
export function mismatch(m: ModelInfo, s: Source): string | null {
  if (m.layout === null) return `${m.name} takes raw rows, not joints`;
  if (m.layout !== s.layout || m.joints !== s.joints) {
    return `the recording is ${s.layout} (${s.joints} joints); ${m.name} expects ${m.layout} (${m.joints} joints): pick another model`;
  }
  return null;
}

/** Fills `list` (a <dl>) with the model's card. */
export function renderCard(m: ModelInfo, list: HTMLElement): void {
  const t = m.training as {
    data?: {
      split?: string;
      trainSamples?: number;
      testSamples?: number;
      cache?: string;
      source?: { synthetic?: boolean };
    };
    finalTestMetric?: number;
    bestTestMetric?: number;
    /** The part the weights were chosen on; 'none': trained on every sample (split all). */
    selection?: string;
    /** Models chosen on a validation part: its figure and the step of the chosen weights. */
    validationMetric?: number;
    chosenStep?: number;
  };
  const pct = (x: number | undefined) => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : '–');
  const d = t.data ?? {};
  const sampling =
    m.sampling?.kind === 'rate'
      ? `${m.sampling.fps} steps/s, trained on windows of ${m.sampling.window} steps (streams)`
      : m.sampling?.kind === 'segments'
        ? `${m.sampling.segments} segments of a whole action (HTTP predict; no streams)`
        : 'every frame a step';
  const rows: [string, string][] = [
    ['name', `${m.name} (version ${m.version})`],
    ['labels', m.labels.map((l) => (l.ntuAction ? `${l.name} (A${l.ntuAction})` : l.name)).join(', ')],
    [
      'layout',
      `${m.layout ?? 'raw rows'}, ${m.bodies ?? '–'} bodies, ${m.joints ?? '–'} joints, ${m.frameRate ?? '–'} frames/s`,
    ],
    ['sampling', sampling],
    [
      'training data',
      `${d.source?.synthetic ? 'synthetic' : 'recorded'}; split ${d.split ?? '–'}; ${d.trainSamples ?? '–'} training / ${d.testSamples ?? '–'} held-out samples`,
    ],
    [
      'held-out accuracy',
      t.selection === 'none'
        ? "none: trained on every sample (split all); its model card gives the recipe's held-out figure"
        : typeof t.validationMetric === 'number'
          ? `${pct(t.finalTestMetric)} (weights of step ${t.chosenStep ?? '–'}, chosen on validation: ${pct(t.validationMetric)})`
          : `${pct(t.finalTestMetric)} (best ${pct(t.bestTestMetric)})`,
    ],
    ['provider', m.provider.toUpperCase()],
  ];
  if (m.ensemble)
    rows.splice(rows.length - 1, 0, [
      'ensemble',
      `${m.ensemble.members.length} members (seeds ${m.ensemble.members.map((e) => e.seed ?? '–').join(', ')}): the mean of their log-probabilities; held-out accuracy from indrnn eval --model`,
    ]);
  list.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}
