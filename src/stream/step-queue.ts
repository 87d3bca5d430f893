// The model steps one stream has waiting for a run, first in, first out. Their inputs live in one
// growable Float32Array [capacity, D] used as a ring: queuing a step copies its D values in, a run copies
// them out. A frame then costs no typed array of its own: each one is an off-heap block that V8 sweeps
// in young-generation collections, and at 3000 frames/s those sweeps were half of every pause.

import { copyValues } from '../util/copy-values.js';

export interface QueuedStep {
  /** Source frame index since connect or reset. */
  frame: number;
  /** Model step index since connect or reset. */
  step: number;
  /** performance.now() when its message arrived (latency). */
  arrivedAt: number;
}

export class StepQueue {
  private readonly steps: QueuedStep[] = [];
  /** [capacity, D]; the first step's input is row `head`, the i-th row (head + i) % capacity. */
  private inputs: Float32Array;
  private head = 0;

  constructor(
    /** Values per step input. */
    readonly D: number,
    initialCapacity = 4,
  ) {
    this.inputs = new Float32Array(initialCapacity * D);
  }

  get length(): number {
    return this.steps.length;
  }

  private get capacity(): number {
    return this.inputs.length / this.D;
  }

  /** The first step waiting, if any. */
  first(): QueuedStep | undefined {
    return this.steps[0];
  }

  /** Queues a step whose input is x[xAt .. xAt + D). */
  push(step: QueuedStep, x: Float32Array, xAt = 0): void {
    if (this.steps.length === this.capacity) this.grow();
    copyValues(x, xAt, this.inputs, ((this.head + this.steps.length) % this.capacity) * this.D, this.D);
    this.steps.push(step);
  }

  /** Copies the first step's input to dst[dstAt .. dstAt + D). */
  copyFirstInput(dst: Float32Array, dstAt: number): void {
    copyValues(this.inputs, this.head * this.D, dst, dstAt, this.D);
  }

  /** Removes the first step. */
  shift(): void {
    if (this.steps.length === 0) return;
    this.steps.shift();
    this.head = this.steps.length === 0 ? 0 : (this.head + 1) % this.capacity;
  }

  /** Removes every step; returns how many there were. */
  clear(): number {
    const n = this.steps.length;
    this.steps.length = 0;
    this.head = 0;
    return n;
  }

  /** Doubles the ring, its rows in queue order from row 0. */
  private grow(): void {
    const D = this.D;
    const old = this.inputs;
    const cap = this.capacity;
    const next = new Float32Array(Math.max(1, 2 * cap) * D);
    for (let i = 0; i < this.steps.length; i++) copyValues(old, ((this.head + i) % cap) * D, next, i * D, D);
    this.inputs = next;
    this.head = 0;
  }
}
