// The decision rule of online detection (src/predict/segments.ts) on constructed per-step outputs with
// known action intervals, and the detection figures (src/train/detection-metrics.ts) on hand-made cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_DECISION_RULE,
  type DecisionRule,
  ENDED,
  ruleProblem,
  Segmenter,
  STARTED,
  segmentSteps,
} from '../src/predict/segments.js';
import { detectionFigures, iou, trueIntervals } from '../src/train/detection-metrics.js';

const K = 3; // 0 wave, 1 kick, 2 background
const BG = 2;
const LABELS = [{ name: 'wave' }, { name: 'kick' }, { name: 'no action' }];

/** Logits [n, K] of a model that is sure of `classes[k]` at step k (probability ~0.995). */
function confident(classes: number[]): Float32Array {
  const x = new Float32Array(classes.length * K);
  classes.forEach((c, k) => {
    x[k * K + c] = 6;
  });
  return x;
}

/** Per-step classes from runs: [[class, steps], ...]. */
const runs = (...r: [number, number][]) => r.flatMap(([c, n]) => Array<number>(n).fill(c));

describe('decision rule (segments.ts)', () => {
  it('a constructed stream with known intervals: each segment within the documented tolerance', () => {
    // Steps at 10/s of a 30 fps recording: step k shows frame 3k. True actions: wave at steps 30-69
    // (frames 90-207), kick at steps 100-129 (frames 300-387).
    const classes = runs([BG, 30], [0, 40], [BG, 30], [1, 30], [BG, 40]);
    const segs = segmentSteps(confident(classes), classes.length, K, BG, LABELS, DEFAULT_DECISION_RULE, (k) => 3 * k);
    assert.deepEqual(
      segs.map((s) => [s.label, s.index]),
      [
        ['wave', 0],
        ['kick', 1],
      ],
    );
    // Documented (docs/streaming.md): with the default rule, a clean transition moves a segment's first and
    // last step by at most 2 steps; the start is announced minSteps - 1 steps after the segment's first step.
    const truth = [
      [90, 207],
      [300, 387],
    ];
    segs.forEach((s, i) => {
      assert.ok(Math.abs(s.startFrame - truth[i][0]) <= 2 * 3, `start ${s.startFrame} vs ${truth[i][0]}`);
      assert.ok(Math.abs(s.endFrame - truth[i][1]) <= 2 * 3, `end ${s.endFrame} vs ${truth[i][1]}`);
      assert.equal(s.announcedFrame, s.startFrame + (DEFAULT_DECISION_RULE.minSteps - 1) * 3);
      assert.ok(s.probability > 0.9 && s.probability <= 1, `probability ${s.probability}`);
    });
    // Exactly: the smoothed probability crosses 0.6 at the second step of each action and falls below 0.4
    // at the second step after it.
    assert.deepEqual(
      segs.map((s) => [s.startFrame, s.endFrame]),
      [
        [93, 210],
        [303, 390],
      ],
    );
  });

  it('events step by step: start when confirmed, end and start at the same step when actions follow', () => {
    const classes = runs([BG, 5], [0, 10], [1, 10], [BG, 5]);
    const seg = new Segmenter(K, BG, { smoothing: 0, startThreshold: 0.6, endThreshold: 0.4, minSteps: 2 });
    const logits = confident(classes);
    const events: string[] = [];
    classes.forEach((_, k) => {
      const e = seg.step(logits, k * K, k);
      if (e & ENDED) events.push(`end ${seg.ended.index} ${seg.ended.startFrame}-${seg.ended.endFrame} @${k}`);
      if (e & STARTED) events.push(`start ${seg.started.index} ${seg.started.startFrame} @${k}`);
    });
    assert.deepEqual(events, ['start 0 5 @6', 'end 0 5-14 @15', 'start 1 15 @16', 'end 1 15-24 @25']);
    assert.equal(seg.finish(), false, 'nothing open at the end');
  });

  it('minSteps ignores blips; hysteresis keeps an action through a dip above endThreshold', () => {
    const rule: DecisionRule = { smoothing: 0, startThreshold: 0.7, endThreshold: 0.3, minSteps: 3 };
    // A 2-step blip of wave: no segment.
    const blip = runs([BG, 5], [0, 2], [BG, 5]);
    assert.deepEqual(
      segmentSteps(confident(blip), blip.length, K, BG, LABELS, rule, (k) => k),
      [],
    );
    // An action whose probability dips to 0.5 (below start, above end) for 3 steps: one segment.
    const n = 20;
    const x = new Float32Array(n * K);
    for (let k = 0; k < n; k++) {
      const wave = k >= 3 && k < 17 ? (k >= 8 && k < 11 ? 0.5 : 0.95) : 0.02;
      x[k * K] = Math.log(wave);
      x[k * K + BG] = Math.log(1 - wave);
      x[k * K + 1] = -30;
    }
    const segs = segmentSteps(x, n, K, BG, LABELS, rule, (k) => k);
    assert.deepEqual(
      segs.map((s) => [s.index, s.startFrame, s.endFrame]),
      [[0, 3, 16]],
    );
  });

  it('the end of the input ends an open action; reset forgets it; background never starts one', () => {
    const classes = runs([BG, 3], [1, 10]);
    const segs = segmentSteps(confident(classes), classes.length, K, BG, LABELS, DEFAULT_DECISION_RULE, (k) => k);
    assert.deepEqual(
      segs.map((s) => [s.index, s.endFrame]),
      [[1, 12]],
    );
    const seg = new Segmenter(K, BG, DEFAULT_DECISION_RULE);
    const logits = confident(classes);
    for (let k = 0; k < classes.length; k++) seg.step(logits, k * K, k);
    assert.equal(seg.open, 1);
    seg.reset();
    assert.equal(seg.open, -1);
    assert.equal(seg.finish(), false);
    const idle = runs([BG, 50]);
    assert.deepEqual(
      segmentSteps(confident(idle), 50, K, BG, LABELS, DEFAULT_DECISION_RULE, (k) => k),
      [],
    );
  });

  it('a rule without hysteresis is refused, naming the field', () => {
    assert.equal(ruleProblem(DEFAULT_DECISION_RULE), null);
    assert.equal(ruleProblem({ ...DEFAULT_DECISION_RULE, endThreshold: 0.7 })?.field, 'endThreshold');
  });
});

describe('detection figures (detection-metrics.ts)', () => {
  const labels = ['wave', 'kick', 'no action'];
  /** Per-frame labels from runs. */
  const frames = (...r: [number, number][]) => Int32Array.from(runs(...r));

  it('true intervals and IoU', () => {
    assert.deepEqual(trueIntervals(frames([BG, 3], [0, 4], [BG, 2], [1, 1]), BG), [
      { index: 0, startFrame: 3, endFrame: 6 },
      { index: 1, startFrame: 9, endFrame: 9 },
    ]);
    assert.equal(iou({ index: 0, startFrame: 0, endFrame: 9 }, { index: 0, startFrame: 5, endFrame: 14 }), 5 / 15);
    assert.equal(iou({ index: 0, startFrame: 0, endFrame: 4 }, { index: 0, startFrame: 5, endFrame: 9 }), 0);
  });

  it('AP ranks detections by confidence; start delay, false starts per minute of no action, frame accuracy', () => {
    // 60 frames at 10 fps: wave 10-29, kick 40-49; the rest (30 frames) no action = 3 s = 0.05 min.
    const truth = frames([BG, 10], [0, 20], [BG, 10], [1, 10], [BG, 10]);
    const predicted = truth.slice();
    predicted.fill(BG, 10, 14); // 4 frames wrong
    const det = (index: number, startFrame: number, endFrame: number, probability: number, announcedFrame: number) => ({
      index,
      startFrame,
      endFrame,
      probability,
      announcedFrame,
    });
    const detections = [
      det(0, 14, 29, 0.9, 16), // wave, IoU 16/20 = 0.8, announced 6 frames late
      det(0, 52, 55, 0.95, 54), // a false wave, ranked first
      det(1, 40, 44, 0.8, 42), // kick, IoU 0.5, 2 frames late
    ];
    const f = detectionFigures([{ truth, predicted, detections }], labels, BG, 10);
    assert.equal(f.frameAccuracy, 56 / 60);
    // wave: the false one first (precision 0), then the true one at rank 2: AP = (1/2) / 1.
    assert.equal(f.apPerClass['0.5'].wave, 0.5);
    assert.equal(f.apPerClass['0.5'].kick, 1);
    assert.equal(f.mAP['0.5'], 0.75);
    // At IoU 0.7 the kick (0.5) no longer counts.
    const strict = detectionFigures([{ truth, predicted, detections }], labels, BG, 10, [0.7]);
    assert.equal(strict.apPerClass['0.7'].kick, 0);
    assert.equal(f.meanStartDelayFrames, (6 + 2) / 2);
    assert.equal(f.detectedInstances, 2);
    assert.equal(f.falseStarts, 1);
    assert.equal(f.backgroundMinutes, 30 / 10 / 60);
    assert.equal(f.falseStartsPerMinute, 1 / 0.05);
  });
});
