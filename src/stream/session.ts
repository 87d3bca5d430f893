// One stream's state: preprocessing (causal, frame by frame), resampling to the model's steps, the queue
// of steps waiting for a run, and the recurrent state h of its R rows (R = the staggered states of a rate
// model, see src/predict/rate.ts; 1 otherwise). Each model step costs one row-update per state, whatever the stream's
// length: the state is carried, nothing is recomputed.
//
// Shapes: L = IndRNN layers, R = rows (states) of this stream, H = hidden units, D = input_size,
// K = outputs. h [L, R, H]; a step's x [D].

import { createPreprocessState, type PreprocessState, preprocessFrameAt } from '../data/preprocess.js';
import type { ServedModel } from '../host/registry.js';
import { ApiError } from '../predict/errors.js';
import { type LayoutConversion, layoutConversion } from '../predict/layout-conversion.js';
import { channelsFor, DEFAULT_MIN_SCORE, defaultChannels, minScoreFor } from '../predict/point-options.js';
import {
  chosenState,
  type RateSampling,
  resetsAt,
  STAGGERED_STATES,
  StepClock,
  staggerOffsets,
} from '../predict/rate.js';
import { classPrediction, regressionPrediction } from '../predict/result.js';
import {
  DEFAULT_DECISION_RULE,
  type DecisionRule,
  ENDED,
  ruleProblem,
  type SegmentEvent,
  Segmenter,
  STARTED,
} from '../predict/segments.js';
import { backgroundIndex } from '../predict/sequence-prediction.js';
import { StreamFeatures } from '../predict/step-features.js';
import { copyValues } from '../util/copy-values.js';
import { allFinite } from '../util/finite.js';
import { errorMessage, type ServerMessage, type StreamConfig } from './protocol.js';
import { type QueuedStep, StepQueue } from './step-queue.js';

export class StreamSession {
  readonly rows: number;
  readonly rate: RateSampling | null;
  private readonly offsets: number[];
  /** [L, R, H] */
  readonly h: Float32Array;
  /** Steps waiting for a run, with their inputs x [D]. */
  readonly queue: StepQueue;
  config: StreamConfig;
  /** Frames come in another layout than the model's (config "layout"): how to read and convert them. */
  conversion: LayoutConversion | null = null;
  /** How binary frames and scored points are read (config "channels", "minScore"): kept in step with config. */
  readonly points: { channels: 2 | 3 | null; minScore: number };
  private pre: PreprocessState | null;
  private clock: StepClock | null;
  /** Each step's joints -> the model's input streams. */
  private readonly features: StreamFeatures;
  /** The source frame of the one step a frame makes without resampling (reused: no array per frame). */
  private readonly thisFrame: number[] = [0];
  private frames = 0;
  private steps = 0;
  /** This frame's model input [D] (preprocessing writes here). */
  private readonly current: Float32Array;
  /** The previous frame's model input [D] (a resampled step may show it); valid once frames > 0. */
  private readonly previous: Float32Array;
  /** Detection models (with a background label): the decision rule behind the action events; null otherwise. */
  private readonly segmenter: Segmenter | null;

  constructor(
    readonly served: ServedModel,
    private readonly maxQueuedSteps: number,
    /** The connection: where predictions go, and whether it is still open. */
    readonly link: { readonly open: boolean; send(msg: ServerMessage): void; drop(e: ApiError): void },
  ) {
    const m = served.model.metadata;
    this.rate = m.sampling?.kind === 'rate' ? { fps: m.sampling.fps, window: m.sampling.window } : null;
    this.offsets = this.rate ? staggerOffsets(this.rate.window, STAGGERED_STATES) : [0];
    this.rows = this.offsets.length;
    this.h = new Float32Array(m.num_layers * this.rows * m.hidden_size);
    this.queue = new StepQueue(m.input_size);
    const spec = served.input;
    this.points = { channels: defaultChannels(spec), minScore: DEFAULT_MIN_SCORE };
    this.current = new Float32Array(spec.inputSize);
    this.previous = new Float32Array(spec.inputSize);
    this.features = new StreamFeatures(spec);
    this.config = {
      every: 1,
      topK: 5,
      frameRate: m.frame_rate ?? 30,
      layerStates: false,
      layout: spec.kind === 'skeleton' ? spec.layout : null,
      channels: this.points.channels,
      minScore: spec.kind === 'skeleton' && spec.dims === 2 ? DEFAULT_MIN_SCORE : null,
    };
    const background = backgroundIndex(m);
    this.segmenter =
      background >= 0 ? new Segmenter(m.num_outputs, background, Object.assign({}, DEFAULT_DECISION_RULE)) : null;
    if (this.segmenter) Object.assign(this.config, this.segmenter.rule);
    this.pre = null;
    this.clock = null;
    this.restart();
  }

  /** Frames or steps seen since connect or reset. */
  get fresh(): boolean {
    return this.frames === 0;
  }

  private restart(): void {
    this.h.fill(0);
    this.frames = 0;
    this.steps = 0;
    const spec = this.served.input;
    this.pre = spec.kind === 'skeleton' ? createPreprocessState(spec.preprocess) : null;
    this.clock = this.rate ? new StepClock(this.config.frameRate, this.rate.fps) : null;
    this.features.reset();
    this.segmenter?.reset();
  }

  /**
   * A new sequence: queued steps are discarded (their predictions are not sent); returns how many. An
   * action still open ends at the last step run (its end event is sent first).
   */
  reset(): number {
    const discarded = this.queue.clear();
    if (this.segmenter?.finish()) this.sendEnd(this.segmenter.ended);
    this.restart();
    return discarded;
  }

  /** Values per raw frame (joints [B, J, 3] of the model's or the configured layout, or a row [D]). */
  get frameSize(): number {
    return this.conversion?.frameSize ?? this.served.input.inputSize;
  }

  /** Floats per frame of a binary message: the raw frame with `channels` floats per joint. */
  get binaryFrameSize(): number {
    const c = this.points.channels;
    return c === null ? this.frameSize : (this.frameSize / 3) * c;
  }

  /**
   * Applies a config message; a refused field (a layout without conversion, a late frameRate, a bad rule,
   * 2-float frames or a score threshold for a 3D model) changes nothing.
   */
  configure(
    c: {
      every?: number;
      topK?: number;
      frameRate?: number;
      layerStates?: boolean;
      layout?: string;
      channels?: 2 | 3;
      minScore?: number;
    } & Partial<DecisionRule>,
  ): void {
    const conversion = c.layout === undefined ? this.conversion : layoutConversion(this.served.input, c.layout);
    const channels = c.channels === undefined ? this.points.channels : channelsFor(this.served.input, c.channels);
    const minScore = c.minScore === undefined ? this.points.minScore : minScoreFor(this.served.input, c.minScore);
    const newRate = c.frameRate !== undefined && c.frameRate !== this.config.frameRate;
    if (newRate && !this.fresh) {
      throw new ApiError(
        'invalid_state',
        `frameRate can change only before the first frame; send {"type": "reset"} first (${this.frames} frames seen)`,
        'frameRate',
      );
    }
    const rule = {
      smoothing: c.smoothing,
      startThreshold: c.startThreshold,
      endThreshold: c.endThreshold,
      minSteps: c.minSteps,
    };
    const given = (Object.keys(rule) as (keyof DecisionRule)[]).filter((k) => rule[k] !== undefined);
    if (given.length > 0) {
      if (!this.segmenter) {
        throw new ApiError(
          'invalid_message',
          `${given[0]}: model ${this.served.name} has no background label, so its streams send no action events to configure`,
          given[0],
        );
      }
      const next = Object.assign({}, this.segmenter.rule);
      for (const k of given) next[k] = rule[k]!;
      const problem = ruleProblem(next);
      if (problem) throw new ApiError('invalid_message', problem.message, problem.field);
      this.segmenter.rule = next;
      Object.assign(this.config, next);
    }
    if (c.layout !== undefined) {
      this.conversion = conversion;
      this.config.layout = c.layout;
    }
    this.points.channels = this.config.channels = channels;
    this.points.minScore = minScore;
    if (c.minScore !== undefined) this.config.minScore = minScore;
    if (newRate) {
      this.config.frameRate = c.frameRate!;
      this.restart();
    }
    if (c.every !== undefined) this.config.every = c.every;
    if (c.topK !== undefined) this.config.topK = c.topK;
    if (c.layerStates !== undefined) this.config.layerStates = c.layerStates;
  }

  /** The state of row r after the last step, per layer: [L][H] (only built when config.layerStates is on). */
  private layerStates(r: number): number[][] {
    const { num_layers: L, hidden_size: H } = this.served.model.metadata;
    const out: number[][] = [];
    for (let l = 0; l < L; l++) {
      const at = (l * this.rows + r) * H;
      const layer: number[] = new Array(H);
      for (let i = 0; i < H; i++) layer[i] = this.h[at + i];
      out.push(layer);
    }
    return out;
  }

  /**
   * Raw frames [T, F] (joints [B, J, 3] or rows [D]) -> queued steps. Throws queue_full when the queue
   * would pass its limit (the caller closes the connection). Returns the steps queued.
   */
  accept(raw: Float32Array, T: number, arrivedAt: number): number {
    const D = this.served.input.inputSize;
    let added = 0;
    for (let t = 0; t < T; t++) {
      // Every frame is preprocessed (its reference may come from a frame the resampling skips).
      const x = this.current;
      if (this.pre) preprocessFrameAt(this.pre, raw, t * D, x, 0);
      else copyValues(raw, t * D, x, 0, D);
      let sources: readonly number[];
      if (this.clock) sources = this.clock.advance();
      else {
        this.thisFrame[0] = this.frames; // every frame is a step
        sources = this.thisFrame;
      }
      for (let i = 0; i < sources.length; i++) {
        const src = sources[i];
        if (this.queue.length >= this.maxQueuedSteps) {
          throw new ApiError(
            'queue_full',
            `${this.queue.length} model steps are waiting (limit ${this.maxQueuedSteps}): frames arrive faster than they are served`,
          );
        }
        const shown = src === this.frames || this.frames === 0 ? x : this.previous;
        this.queue.push({ frame: src, step: this.steps++, arrivedAt }, this.features.next(shown));
        added++;
      }
      this.previous.set(x);
      this.frames++;
    }
    return added;
  }

  /** Writes this stream's rows of a run for its first queued step: x [1, Btot, D] and h0 [L, Btot, H] at row offset `off`. */
  gather(x: Float32Array, h0: Float32Array, Btot: number, off: number): void {
    const { num_layers: L, hidden_size: H, input_size: D } = this.served.model.metadata;
    const entry = this.queue.first();
    if (!entry) throw new Error('gather: no step is queued');
    const R = this.rows;
    for (let r = 0; r < R; r++) this.queue.copyFirstInput(x, (off + r) * D);
    for (let r = 0; r < R; r++) {
      const reset = this.rate !== null && resetsAt(entry.step, this.offsets[r], this.rate.window);
      for (let l = 0; l < L; l++) {
        const dst = (l * Btot + off + r) * H;
        if (reset) h0.fill(0, dst, dst + H);
        else copyValues(this.h, (l * R + r) * H, h0, dst, H);
      }
    }
  }

  /** Takes this stream's rows of a run's hT [L, Btot, H] and, when due, sends the step's prediction. */
  scatter(entry: QueuedStep, logits: Float32Array, hT: Float32Array, Btot: number, off: number): boolean {
    const m = this.served.model.metadata;
    const { num_layers: L, hidden_size: H } = m;
    const R = this.rows;
    for (let l = 0; l < L; l++)
      for (let r = 0; r < R; r++) copyValues(hT, (l * Btot + off + r) * H, this.h, (l * R + r) * H, H);
    const { k, start } = this.rate ? chosenState(entry.step, this.offsets, this.rate.window) : { k: 0, start: 0 };
    const b = off + k;
    const { frame } = entry;
    const K = m.num_outputs;
    if (!allFinite(logits, b * K, (b + 1) * K)) {
      // Frames too large for the model overflowed it: say so, and restart the state rather than carry Infinity.
      this.h.fill(0);
      if (this.segmenter?.finish()) this.sendEnd(this.segmenter.ended);
      this.segmenter?.reset();
      const message = `the model's output at frame ${frame} is not finite (values too large for the model?); the state was reset`;
      this.link.send(errorMessage(new ApiError('non_finite_value', message, 'frames')));
      return false;
    }
    const events = this.segmenter ? this.segmenter.step(logits, b * K, frame) : 0;
    const sent = this.predict(entry, logits, Btot, k, b, start);
    if (events & ENDED) this.sendEnd(this.segmenter!.ended);
    if (events & STARTED) this.sendStart(this.segmenter!.started);
    return sent;
  }

  private sendStart(e: SegmentEvent): void {
    const label = this.served.model.metadata.labels[e.index].name;
    const probability = Math.fround(e.probability);
    this.link.send({ type: 'action', event: 'start', label, index: e.index, frame: e.startFrame, probability });
  }

  private sendEnd(e: SegmentEvent): void {
    const label = this.served.model.metadata.labels[e.index].name;
    const { index, startFrame, endFrame } = e;
    const probability = Math.fround(e.probability);
    this.link.send({ type: 'action', event: 'end', label, index, startFrame, frame: endFrame, probability });
  }

  /** Sends the prediction of a step (read from state k, batch row b) when due (every N steps); true when sent. */
  private predict(entry: QueuedStep, logits: Float32Array, Btot: number, k: number, b: number, start: number): boolean {
    const m = this.served.model.metadata;
    const { frame, step } = entry;
    if ((entry.step + 1) % this.config.every !== 0) return false;
    const history = step - start + 1;
    // Literals, not spreads: see the note in src/predict/result.ts (spread objects outlived scavenges).
    // Layer states only when asked for (the opt-in path may allocate); undefined is left out of the JSON.
    const layers = this.config.layerStates ? this.layerStates(k) : undefined;
    if (m.task_kind === 'regression') {
      const { value } = regressionPrediction(logits, Btot, b, 0, { topK: 1, timeline: false });
      this.link.send({ type: 'prediction', frame, step, history, layers, value });
    } else {
      const p = classPrediction(logits, Btot, m.num_outputs, b, 0, m.labels, {
        topK: this.config.topK,
        timeline: false,
      });
      const { label, index, probability, ntuAction, topK } = p;
      this.link.send(
        ntuAction !== undefined
          ? { type: 'prediction', frame, step, history, label, index, probability, ntuAction, topK, layers }
          : { type: 'prediction', frame, step, history, label, index, probability, topK, layers },
      );
    }
    return true;
  }
}
