// One stream's state: preprocessing (causal, frame by frame), resampling to the model's steps, the queue
// of steps waiting for a run, and the recurrent state h of its R rows (R = the staggered states of a rate
// model, see rate.ts; 1 otherwise). Each model step costs one row-update per state, whatever the stream's
// length: the state is carried, nothing is recomputed.
//
// Shapes: L = IndRNN layers, R = rows (states) of this stream, H = hidden units, D = input_size,
// K = outputs. h [L, R, H]; a step's x [D].
import { createPreprocessState, type PreprocessState, preprocessFrame } from '../data/preprocess.js';
import { classPrediction, regressionPrediction } from '../predict/result.js';
import type { ServedModel } from '../serve/registry.js';
import type { ServerMessage, StreamConfig } from './protocol.js';
import { StreamError } from './protocol.js';
import { chosenState, type RateSampling, resetsAt, STAGGERED_STATES, StepClock, staggerOffsets } from './rate.js';

export interface StepEntry {
  x: Float32Array; // [D]
  /** Source frame index since connect or reset. */
  frame: number;
  /** Model step index since connect or reset. */
  step: number;
  /** performance.now() when its message arrived (latency). */
  arrivedAt: number;
}

export class StreamSession {
  readonly rows: number;
  readonly rate: RateSampling | null;
  private readonly offsets: number[];
  /** [L, R, H] */
  readonly h: Float32Array;
  readonly queue: StepEntry[] = [];
  config: StreamConfig;
  closed = false;
  private pre: PreprocessState | null;
  private clock: StepClock | null;
  private frames = 0;
  private steps = 0;
  /** The previous frame's model input (a resampled step may show it). */
  private prevX: Float32Array | null = null;

  constructor(
    readonly served: ServedModel,
    private readonly maxQueuedSteps: number,
    /** Where predictions go (the connection). */
    readonly emit: (msg: ServerMessage) => void,
  ) {
    const m = served.model.metadata;
    this.rate = m.sampling?.kind === 'rate' ? { fps: m.sampling.fps, window: m.sampling.window } : null;
    this.offsets = this.rate ? staggerOffsets(this.rate.window, STAGGERED_STATES) : [0];
    this.rows = this.offsets.length;
    this.h = new Float32Array(m.num_layers * this.rows * m.hidden_size);
    this.config = { every: 1, topK: 5, frameRate: m.frame_rate ?? 30 };
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
    this.prevX = null;
    const spec = this.served.input;
    this.pre = spec.kind === 'skeleton' ? createPreprocessState(spec.preprocess) : null;
    this.clock = this.rate ? new StepClock(this.config.frameRate, this.rate.fps) : null;
  }

  /** A new sequence: queued steps are discarded (their predictions are not sent); returns how many. */
  reset(): number {
    const discarded = this.queue.length;
    this.queue.length = 0;
    this.restart();
    return discarded;
  }

  configure(c: { every?: number; topK?: number; frameRate?: number }): void {
    if (c.frameRate !== undefined && c.frameRate !== this.config.frameRate) {
      if (!this.fresh) {
        throw new StreamError(
          'invalid_state',
          `frameRate can change only before the first frame; send {"type": "reset"} first (${this.frames} frames seen)`,
          'frameRate',
        );
      }
      this.config.frameRate = c.frameRate;
      this.restart();
    }
    if (c.every !== undefined) this.config.every = c.every;
    if (c.topK !== undefined) this.config.topK = c.topK;
  }

  /**
   * Raw frames [T, F] (joints [B, J, 3] or rows [D]) -> queued steps. Throws queue_full when the queue
   * would pass its limit (the caller closes the connection). Returns the steps queued.
   */
  accept(raw: Float32Array, T: number, arrivedAt: number): number {
    const D = this.served.model.inputSize;
    let added = 0;
    for (let t = 0; t < T; t++) {
      const frame = raw.subarray(t * D, (t + 1) * D);
      // Every frame is preprocessed (its reference may come from a frame the resampling skips).
      const x = this.pre ? preprocessFrame(this.pre, frame) : frame.slice();
      const sources = this.clock ? this.clock.advance() : [this.frames];
      for (const src of sources) {
        if (this.queue.length >= this.maxQueuedSteps) {
          throw new StreamError(
            'queue_full',
            `${this.queue.length} model steps are waiting (limit ${this.maxQueuedSteps}): frames arrive faster than they are served`,
          );
        }
        const shown = src === this.frames || this.prevX === null ? x : this.prevX;
        this.queue.push({ x: shown, frame: src, step: this.steps++, arrivedAt });
        added++;
      }
      this.prevX = x;
      this.frames++;
    }
    return added;
  }

  /** Writes this stream's rows of a run: x [1, Btot, D] and h0 [L, Btot, H] at row offset `off`. */
  gather(entry: StepEntry, x: Float32Array, h0: Float32Array, Btot: number, off: number): void {
    const { num_layers: L, hidden_size: H, input_size: D } = this.served.model.metadata;
    const R = this.rows;
    for (let r = 0; r < R; r++) x.set(entry.x, (off + r) * D);
    for (let r = 0; r < R; r++) {
      const reset = this.rate !== null && resetsAt(entry.step, this.offsets[r], this.rate.window);
      for (let l = 0; l < L; l++) {
        const dst = (l * Btot + off + r) * H;
        if (reset) h0.fill(0, dst, dst + H);
        else h0.set(this.h.subarray((l * R + r) * H, (l * R + r + 1) * H), dst);
      }
    }
  }

  /** Takes this stream's rows of a run's hT [L, Btot, H] and, when due, sends the step's prediction. */
  scatter(entry: StepEntry, logits: Float32Array, hT: Float32Array, Btot: number, off: number): boolean {
    const m = this.served.model.metadata;
    const { num_layers: L, hidden_size: H } = m;
    const R = this.rows;
    for (let l = 0; l < L; l++)
      for (let r = 0; r < R; r++) {
        const src = (l * Btot + off + r) * H;
        this.h.set(hT.subarray(src, src + H), (l * R + r) * H);
      }
    if ((entry.step + 1) % this.config.every !== 0) return false;
    const { k, start } = this.rate ? chosenState(entry.step, this.offsets, this.rate.window) : { k: 0, start: 0 };
    const b = off + k;
    const base = { type: 'prediction' as const, frame: entry.frame, step: entry.step, history: entry.step - start + 1 };
    if (m.task_kind === 'regression') {
      this.emit({ ...base, value: regressionPrediction(logits, Btot, b, 0, { topK: 1, timeline: false }).value });
    } else {
      const p = classPrediction(logits, Btot, m.num_outputs, b, 0, m.labels, {
        topK: this.config.topK,
        timeline: false,
      });
      const { frames: _frames, ...scored } = p;
      this.emit({ ...base, ...scored });
    }
    return true;
  }
}
