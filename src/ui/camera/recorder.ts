// Recording what the camera saw as training data: takes of MediaPipe landmarks (mediapipe33, metres,
// MediaPipe's axes, placed in front of the camera) with the user's action label per frame, saved as JSON
// Lines in the format `indrnn data build --jsonl` reads (docs/data.md): one take per line. Pure code (no
// DOM): the page downloads the text, the tests parse it with the trainer's own reader.
import { MEDIAPIPE_JOINTS } from '../../data/mediapipe.js';

/** One line of the file: a sample of the user format, plus MediaPipe's visibility (kept, not trained on). */
export interface Take {
  id: string;
  layout: 'mediapipe33';
  fps: number;
  /** Every frame has this label (absent when frames differ or some have none). */
  label?: string;
  /** Per frame: the label the user had chosen, or null (absent when every frame has the same label). */
  frameLabels?: (string | null)[];
  /** [T][33][3]; a frame where nobody was found is all zeros (an absent body). */
  frames: number[][][];
  /** [T][33]: MediaPipe's visibility of each landmark, 0..1. */
  visibility: number[][];
}

/** At most this many frames per take (20 minutes at 30 frames/s): a forgotten recording stops growing. */
export const MAX_TAKE_FRAMES = 36_000;

const round = (v: number, k: number) => Math.round(v * k) / k;

export class Recorder {
  readonly takes: Take[] = [];
  private current: {
    id: string;
    fps: number;
    frames: number[][][];
    visibility: number[][];
    labels: (string | null)[];
  } | null = null;

  get recording(): boolean {
    return this.current !== null;
  }

  /** Frames in the take being recorded. */
  get length(): number {
    return this.current?.frames.length ?? 0;
  }

  start(id: string, fps: number): void {
    this.current = { id, fps, frames: [], visibility: [], labels: [] };
  }

  /**
   * One camera frame: landmarks [33 * 3] and visibility [33], or null when nobody was found; `label` the
   * action the user says is happening (null: none). Returns false once the take is full.
   */
  add(landmarks: Float32Array | null, visibility: Float32Array | null, label: string | null): boolean {
    const c = this.current;
    if (!c || c.frames.length >= MAX_TAKE_FRAMES) return false;
    const frame: number[][] = [];
    const vis: number[] = [];
    for (let i = 0; i < MEDIAPIPE_JOINTS; i++) {
      frame.push(
        landmarks
          ? [round(landmarks[i * 3], 1e4), round(landmarks[i * 3 + 1], 1e4), round(landmarks[i * 3 + 2], 1e4)]
          : [0, 0, 0],
      );
      vis.push(landmarks && visibility ? round(visibility[i], 1e3) : 0);
    }
    c.frames.push(frame);
    c.visibility.push(vis);
    c.labels.push(label && label.trim() !== '' ? label.trim() : null);
    return true;
  }

  /** Ends the take; a take without frames is dropped. Returns it. */
  stop(): Take | null {
    const c = this.current;
    this.current = null;
    if (!c || c.frames.length === 0) return null;
    const first = c.labels[0];
    const same = first !== null && c.labels.every((l) => l === first);
    const take: Take = { id: c.id, layout: 'mediapipe33', fps: c.fps, frames: c.frames, visibility: c.visibility };
    if (same) take.label = first;
    else if (c.labels.some((l) => l !== null)) take.frameLabels = c.labels;
    this.takes.push(take);
    return take;
  }

  /**
   * Adds the takes of a JSON Lines file saved earlier (one take per line; blank lines and # comments
   * skipped); the trainer checks them point by point. Returns how many were added; throws naming the line.
   */
  load(text: string, file: string): number {
    const found: Take[] = [];
    text.split('\n').forEach((raw, n) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      let take: Take;
      try {
        take = JSON.parse(line) as Take;
      } catch {
        throw new Error(`${file} line ${n + 1}: not JSON`);
      }
      if (typeof take !== 'object' || take === null || !Array.isArray(take.frames))
        throw new Error(`${file} line ${n + 1}: not a take (no frames)`);
      found.push(take);
    });
    this.takes.push(...found);
    return found.length;
  }

  /** The takes as the trainer takes them (POST /v1/jobs samples): without MediaPipe's visibility. */
  samples(): Omit<Take, 'visibility'>[] {
    return this.takes.map(({ visibility: _, ...sample }) => sample);
  }

  /** Every take, one JSON object per line. */
  toJsonLines(): string {
    return this.takes.map((t) => `${JSON.stringify(t)}\n`).join('');
  }
}
