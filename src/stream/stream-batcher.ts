// One model's stream batcher: at each tick, the next queued step of every stream of this model that has
// one goes into ONE run, x [1, Btot, D] with each stream's own h0 rows [L, Btot, H]; hT is scattered back.
// Btot = the sum of the streams' rows (staggered states). A tick is set with setImmediate when a step
// arrives and no run is going, so the frames of every message read in the same event-loop turn share a
// run; while a run is going, new steps wait and form the next. Runs go through the model's HTTP Batcher
// (`exclusive`), so that HTTP requests and streams take turns on the model.

import type { StreamMetrics } from '../host/metrics.js';
import type { ServedModel } from '../host/registry.js';
import { ApiError } from '../predict/errors.js';
import type { StreamSession } from './session.js';
import type { QueuedStep } from './step-queue.js';

export class StreamBatcher {
  /** Streams with queued steps, in the order they will be served (served ones move to the back). */
  private readonly pending = new Set<StreamSession>();
  private scheduled = false;
  private running = false;
  private retry: NodeJS.Timeout | null = null;
  /** Run inputs and outputs reused from tick to tick (grown when needed): see IndrnnModel.run's `out`. */
  private buffers = {
    x: new Float32Array(0),
    h0: new Float32Array(0),
    logits: new Float32Array(0),
    hT: new Float32Array(0),
  };

  /** This model's series of the stream metrics (labelled once: a label lookup per step showed in profiles). */
  private readonly series;

  constructor(
    private readonly served: ServedModel,
    private readonly maxRows: number,
    metrics: StreamMetrics,
    /** A run failed for these streams (not overload: that is retried). */
    private readonly onFailure: (sessions: StreamSession[], err: unknown) => void,
  ) {
    const model = { model: served.name };
    this.series = {
      batchRows: metrics.batchRows.labels(model),
      steps: metrics.steps.labels(model),
      frameLatency: metrics.frameLatency.labels(model),
      predictions: metrics.predictions.labels(model),
    };
  }

  /** The session has queued steps. */
  wake(session: StreamSession): void {
    this.pending.add(session);
    this.schedule();
  }

  /** Stops retry timers (shutdown). */
  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.retry) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.tick();
    });
  }

  /** A view of n values on the named reused buffer. */
  private buffer(name: keyof StreamBatcher['buffers'], n: number): Float32Array {
    if (this.buffers[name].length < n)
      this.buffers[name] = new Float32Array(Math.max(n, 2 * this.buffers[name].length));
    return this.buffers[name].subarray(0, n);
  }

  private async tick(): Promise<void> {
    const model = this.served.model;
    const { num_layers: L, hidden_size: H, input_size: D } = model.metadata;
    const sessions: StreamSession[] = [];
    const entries: QueuedStep[] = [];
    let rows = 0;
    for (const s of this.pending) {
      const first = s.queue.first();
      if (!s.link.open || first === undefined) {
        this.pending.delete(s);
        continue;
      }
      if (rows + s.rows > this.maxRows && rows > 0) break;
      sessions.push(s);
      entries.push(first);
      rows += s.rows;
    }
    if (rows === 0) return;
    const K = model.metadata.num_outputs;
    const x = this.buffer('x', rows * D);
    const h0 = this.buffer('h0', L * rows * H);
    const out = { logits: this.buffer('logits', rows * K), hT: this.buffer('hT', L * rows * H) };
    const offsets: number[] = [];
    let off = 0;
    for (const s of sessions) {
      offsets.push(off);
      s.gather(x, h0, rows, off);
      off += s.rows;
    }
    this.running = true;
    let result: { logits: Float32Array; hT: Float32Array };
    try {
      result = await this.served.batcher.exclusive((m) => m.run(x, 1, rows, h0, out));
    } catch (e) {
      this.running = false;
      if (e instanceof ApiError && e.code === 'overloaded') {
        // The model's queue is full of HTTP work: try again shortly, the steps stay queued.
        this.retry = setTimeout(() => {
          this.retry = null;
          this.schedule();
        }, 2);
        return;
      }
      for (const s of sessions) this.pending.delete(s);
      this.onFailure(sessions, e);
      this.schedule();
      return;
    }
    this.running = false;
    const series = this.series;
    series.batchRows.observe(rows);
    series.steps.inc(sessions.length);
    let predicted = 0;
    sessions.forEach((s, i) => {
      // Closed or reset while the run went on: its result is stale.
      if (!s.link.open || s.queue.first() !== entries[i]) return;
      s.queue.shift();
      if (s.scatter(entries[i], result.logits, result.hT, rows, offsets[i])) predicted++;
      series.frameLatency.observe((performance.now() - entries[i].arrivedAt) / 1000);
      this.pending.delete(s);
      if (s.queue.length > 0) this.pending.add(s); // to the back: the others go first next time
    });
    if (predicted) series.predictions.inc(predicted);
    if (this.pending.size > 0) this.schedule();
  }
}
