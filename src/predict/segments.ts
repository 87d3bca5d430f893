// Online action detection: the decision rule that turns a detection model's per-step outputs into action
// segments (start and end events). A detection model has a background label ("no action", metadata
// `background`); the rule runs step by step, causally, so a stream decides as the frames come and HTTP
// predict on a whole recording gets the same segments from the same code (segmentSteps below).
//
// The rule (docs/streaming.md, "Action events"), per model step with class probabilities p (softmax):
//  1. smoothing: s = smoothing * s + (1 - smoothing) * p (s = p at the first step);
//  2. no action open: a class c other than background is a candidate while it is the most probable class
//     of s with s[c] >= startThreshold; once the same candidate has held for minSteps steps in a row, the
//     action starts (start event), dated back to the candidate's first step;
//  3. an action a open: it continues while s[a] >= endThreshold (hysteresis: endThreshold <=
//     startThreshold), and ends (end event) at the first step where s[a] falls below it, the segment's
//     last frame being that of the step before; at that same step another action may become a candidate.
// A segment's probability is the mean of s[a] over its steps. The end of the input (HTTP) or a reset
// (stream) ends an open action at the last step seen.
//
// Hot path (every step of every stream): no allocation; events are read from reused fields.
import { z } from 'zod';
import { ApiError } from './errors.js';

export const decisionRuleSchema = z.strictObject({
  smoothing: z
    .number()
    .min(0)
    .max(0.99)
    .meta({ description: 'exponential smoothing of the probabilities: weight of the past (0 = none)' }),
  startThreshold: z
    .number()
    .gt(0)
    .max(1)
    .meta({ description: 'smoothed probability an action class needs (as the most probable class) to start' }),
  endThreshold: z
    .number()
    .min(0)
    .max(1)
    .meta({ description: 'an open action ends when its smoothed probability falls below this (<= startThreshold)' }),
  minSteps: z
    .number()
    .min(1)
    .max(1000) // before int(): 1e308 is "at most 1000", not a safe-integer limit
    .int()
    .meta({ description: 'model steps a candidate must hold before its start is announced' }),
});
export type DecisionRule = z.infer<typeof decisionRuleSchema>;

/**
 * The default rule: at 10 steps/s, 0.3 s to confirm a start. models/pku-mmd-detect.md compares it with
 * others on the training recordings of the shipped detection model.
 */
export const DEFAULT_DECISION_RULE: Readonly<DecisionRule> = Object.freeze({
  smoothing: 0.5,
  startThreshold: 0.6,
  endThreshold: 0.4,
  minSteps: 3,
});

/** Checks a rule after a partial update: endThreshold above startThreshold has no hysteresis to speak of. */
export function ruleProblem(r: DecisionRule): { field: keyof DecisionRule; message: string } | null {
  if (r.endThreshold > r.startThreshold)
    return {
      field: 'endThreshold',
      message: `endThreshold (${r.endThreshold}) must not be above startThreshold (${r.startThreshold})`,
    };
  return null;
}

/**
 * The default rule with `overrides` (an undefined field keeps its default), checked as a whole: throws the
 * catalogue's invalid_field naming `${prefix}${field}` (HTTP predict's `decision.endThreshold`).
 */
export function decisionRule(overrides: Partial<DecisionRule> = {}, prefix = 'decision.'): DecisionRule {
  const rule: DecisionRule = { ...DEFAULT_DECISION_RULE };
  for (const k of Object.keys(rule) as (keyof DecisionRule)[]) {
    const v = overrides[k];
    if (v !== undefined) rule[k] = v;
  }
  const problem = ruleProblem(rule);
  if (problem) {
    const field = `${prefix}${problem.field}`;
    throw new ApiError('invalid_field', `${field}: ${problem.message}`, field);
  }
  return rule;
}

/** A detected action: frames [startFrame, endFrame] (source frames, both included). */
export interface ActionSegment {
  label: string;
  index: number;
  startFrame: number;
  endFrame: number;
  /** The frame whose step confirmed the start: when a stream sends the start event. */
  announcedFrame: number;
  probability: number;
}

/** What a step decided: bit 1 = an action ended (`ended`), bit 2 = an action started (`started`). */
export const ENDED = 1;
export const STARTED = 2;

/** The mutable record of the last event of each kind (read right after step() says it happened). */
export interface SegmentEvent {
  index: number;
  startFrame: number;
  /** For `ended`: the segment's last frame; for `started`: the frame of the step that confirmed it. */
  endFrame: number;
  announcedFrame: number;
  /** The mean smoothed probability of the class over the segment's steps so far. */
  probability: number;
}

export class Segmenter {
  /** Smoothed probabilities [K]. */
  private readonly s: Float64Array;
  private fresh = true;
  private active = -1;
  private activeStart = 0;
  private activeLast = 0;
  private activeSum = 0;
  private activeSteps = 0;
  private candidate = -1;
  private candidateStart = 0;
  private candidateSum = 0;
  private candidateSteps = 0;
  private activeAnnounced = 0;
  readonly started: SegmentEvent = { index: -1, startFrame: 0, endFrame: 0, announcedFrame: 0, probability: 0 };
  readonly ended: SegmentEvent = { index: -1, startFrame: 0, endFrame: 0, announcedFrame: 0, probability: 0 };

  constructor(
    private readonly K: number,
    /** The background class index. */
    private readonly background: number,
    public rule: DecisionRule,
  ) {
    if (background < 0 || background >= K)
      throw new RangeError(`background class ${background} is outside 0..${K - 1}`);
    this.s = new Float64Array(K);
  }

  /** The open action's class, or -1. */
  get open(): number {
    return this.active;
  }

  /** Forgets everything (a new sequence); an open action is dropped without an event (see finish()). */
  reset(): void {
    this.fresh = true;
    this.active = -1;
    this.candidate = -1;
    this.s.fill(0);
  }

  /**
   * One model step: logits[offset .. offset + K) of the step that shows source frame `frame`. Returns
   * ENDED | STARTED bits (0: nothing decided); the events are in `ended` / `started`.
   */
  step(logits: Float32Array, offset: number, frame: number): number {
    const { K, s } = this;
    const a = this.rule.smoothing;
    let max = -Infinity;
    for (let c = 0; c < K; c++) if (logits[offset + c] > max) max = logits[offset + c];
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp(logits[offset + c] - max);
    let best = 0;
    for (let c = 0; c < K; c++) {
      const p = Math.exp(logits[offset + c] - max) / sum;
      s[c] = this.fresh ? p : a * s[c] + (1 - a) * p;
      if (s[c] > s[best]) best = c;
    }
    this.fresh = false;
    let out = 0;
    if (this.active >= 0) {
      const pa = s[this.active];
      if (pa >= this.rule.endThreshold) {
        this.activeLast = frame;
        this.activeSum += pa;
        this.activeSteps++;
        return 0;
      }
      this.close();
      out |= ENDED;
    }
    // No action open: follow the candidate.
    if (best !== this.background && s[best] >= this.rule.startThreshold) {
      if (best !== this.candidate) {
        this.candidate = best;
        this.candidateStart = frame;
        this.candidateSum = 0;
        this.candidateSteps = 0;
      }
      this.candidateSum += s[best];
      this.candidateSteps++;
      if (this.candidateSteps >= this.rule.minSteps) {
        this.active = best;
        this.activeStart = this.candidateStart;
        this.activeLast = frame;
        this.activeAnnounced = frame;
        this.activeSum = this.candidateSum;
        this.activeSteps = this.candidateSteps;
        this.candidate = -1;
        const e = this.started;
        e.index = best;
        e.startFrame = this.activeStart;
        e.endFrame = frame;
        e.announcedFrame = frame;
        e.probability = this.activeSum / this.activeSteps;
        out |= STARTED;
      }
    } else this.candidate = -1;
    return out;
  }

  /** Ends the open action at the last step seen (end of input, reset); true when there was one. */
  finish(): boolean {
    if (this.active < 0) return false;
    this.close();
    return true;
  }

  private close(): void {
    const e = this.ended;
    e.index = this.active;
    e.startFrame = this.activeStart;
    e.endFrame = this.activeLast;
    e.announcedFrame = this.activeAnnounced;
    e.probability = this.activeSum / this.activeSteps;
    this.active = -1;
  }
}

/**
 * The segments of a whole sequence: logits [n, K] of its n steps, step k showing source frame
 * frameOf(k). What a stream of the same frames announces with start/end events, ended at the last step.
 */
export function segmentSteps(
  logits: Float32Array,
  n: number,
  K: number,
  background: number,
  labels: readonly { name: string }[],
  rule: DecisionRule,
  frameOf: (step: number) => number,
): ActionSegment[] {
  const seg = new Segmenter(K, background, rule);
  const out: ActionSegment[] = [];
  const push = (e: SegmentEvent) =>
    out.push({
      label: labels[e.index]?.name ?? String(e.index),
      index: e.index,
      startFrame: e.startFrame,
      endFrame: e.endFrame,
      announcedFrame: e.announcedFrame,
      probability: Math.fround(e.probability),
    });
  for (let k = 0; k < n; k++) if (seg.step(logits, k * K, frameOf(k)) & ENDED) push(seg.ended);
  if (seg.finish()) push(seg.ended);
  return out;
}
