// indrnn eval --detection: a detection model (ONNX or checkpoint) on the untrimmed recordings of a cache,
// through the code HTTP predict runs with "segments": true (preprocessing, resampling, staggered states,
// the decision rule), scored by src/train/detection-metrics.ts.
import { openDataset, splitParts } from '../data/cache.js';
import { preprocessSequence } from '../data/preprocess.js';
import { inputSpecOf } from '../predict/input.js';
import type { ActionSegment, DecisionRule } from '../predict/segments.js';
import { backgroundIndex, modelSteps, predictSteps } from '../predict/sequence-prediction.js';
import {
  type DetectionFigures,
  detectionFigures,
  type RecordingResult,
  trueIntervals,
} from '../train/detection-metrics.js';
import type { Predictor } from './predict.js';

export interface DetectionEvalOptions {
  cache: string;
  split: string;
  part: 'train' | 'test';
  rule: DecisionRule;
}

export interface DetectionReport extends DetectionFigures, DetectionEvalOptions {
  model: string;
  labels: string[];
  background: string;
  perRecording: { id: string; frames: number; trueInstances: number; segments: ActionSegment[] }[];
}

export async function evaluateDetection(p: Predictor, o: DetectionEvalOptions): Promise<DetectionReport> {
  const m = p.metadata;
  const background = backgroundIndex(m);
  if (background < 0) throw new Error(`model ${m.name} is not a detection model (no background label in its metadata)`);
  const spec = inputSpecOf(m);
  if (spec.kind !== 'skeleton') throw new Error(`model ${m.name} has no joint layout; detection needs skeleton input`);
  const ds = openDataset(o.cache);
  if (ds.layout !== spec.layout || ds.bodies !== spec.bodies)
    throw new Error(
      `${o.cache}: layout ${ds.layout} with ${ds.bodies} bodies, the model expects ${spec.layout} with ${spec.bodies}`,
    );
  // Cache classes -> model classes by name; frames of other classes and unlabelled frames are background.
  const byName = new Map(m.labels.map((l, i) => [l.name, i]));
  const toModel = ds.labels.map((l) => byName.get(l.name) ?? background);
  const parts = splitParts(ds, o.split, o.cache);
  const chosen = parts.flatMap((part, i) => (part === o.part && ds.frameLabels(i) ? [i] : []));
  if (chosen.length === 0)
    throw new Error(`${o.cache}: no recording with per-frame labels in the ${o.part} part of split ${o.split}`);
  const results: RecordingResult[] = [];
  const perRecording: DetectionReport['perRecording'] = [];
  for (const i of chosen) {
    const T = ds.length(i);
    const x = preprocessSequence(spec.preprocess, ds.raw(i), T);
    const steps = modelSteps(m, spec, x, T, ds.header.fps);
    const pred = await predictSteps((xs, n) => p.submit(xs, n), m, steps, {
      topK: 1,
      timeline: true,
      segments: o.rule,
    });
    if (!('timeline' in pred) || !pred.timeline || !('segments' in pred)) throw new Error('expected a classification');
    const segments = pred.segments ?? [];
    // Each frame takes the class of the latest step at or before it.
    const predicted = new Int32Array(T);
    let k = 0;
    for (let f = 0; f < T; f++) {
      while (k + 1 < steps.n && (steps.frameOf ? steps.frameOf[k + 1] : k + 1) <= f) k++;
      predicted[f] = pred.timeline[k].index;
    }
    const truth = Int32Array.from(ds.frameLabels(i)!, (l) => (l >= 0 ? toModel[l] : background));
    results.push({ truth, predicted, detections: segments });
    perRecording.push({ id: ds.id(i), frames: T, trueInstances: trueIntervals(truth, background).length, segments });
  }
  const labels = m.labels.map((l) => l.name);
  const figures = detectionFigures(results, labels, background, ds.header.fps);
  return {
    model: m.name,
    cache: o.cache,
    split: o.split,
    part: o.part,
    rule: o.rule,
    labels,
    background: labels[background],
    ...figures,
    perRecording,
  };
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** The report as lines for a terminal. */
export function detectionText(r: DetectionReport, fps: number): string {
  const ths = Object.keys(r.mAP);
  const lines = [
    `${r.model} on ${r.recordings} ${r.part === 'test' ? 'held-out' : 'training'} recordings (${r.frames} frames, ${r.trueInstances} actions; split ${r.split})`,
    `decision rule: ${JSON.stringify(r.rule)}`,
    `frame accuracy      ${pct(r.frameAccuracy)}`,
    ...ths.map((t) => `mAP@${t.padEnd(15)} ${r.mAP[t].toFixed(3)}`),
    `start delay         ${r.meanStartDelayFrames === null ? 'n/a' : `${r.meanStartDelayFrames.toFixed(1)} frames (${(r.meanStartDelayFrames / fps).toFixed(2)} s) mean, ${r.medianStartDelayFrames} median`}; ${r.detectedInstances}/${r.trueInstances} actions detected`,
    `false starts        ${r.falseStarts} in ${r.backgroundMinutes.toFixed(1)} min of no action = ${r.falseStartsPerMinute?.toFixed(2) ?? 'n/a'} per minute`,
    `AP per class at IoU ${ths.join(' / ')}:`,
    ...Object.keys(r.apPerClass[ths[0]]).map(
      (c) => `  ${ths.map((t) => r.apPerClass[t][c].toFixed(2)).join(' / ')}  ${c}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
