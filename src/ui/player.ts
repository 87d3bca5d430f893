// Plays a recording at its frame rate times `speed`: on each animation frame, every frame whose time has
// come is handed to `onFrames` in one call (first index, count), so a slow tab sends a few frames in one
// message rather than falling behind; frames are never skipped. Pausing keeps the position; the end stops
// and calls onEnd.
export interface PlayerEvents {
  /** Frames [first, first + count) are due now. */
  onFrames(first: number, count: number): void;
  onEnd(): void;
}

/** At most this many frames in one tick (after a long pause of the tab, the rest is skipped). */
const MAX_FRAMES_PER_TICK = 60;

export class Player {
  speed = 1;
  private next = 0;
  private clock = 0;
  private last = 0;
  private raf = 0;
  private playing = false;

  constructor(
    private readonly fps: number,
    private readonly length: number,
    private readonly events: PlayerEvents,
  ) {}

  get position(): number {
    return this.next;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.playing) return;
    if (this.next >= this.length) this.restart();
    this.playing = true;
    this.last = performance.now();
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  pause(): void {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }

  /** Back to frame 0 (paused state unchanged). */
  restart(): void {
    this.next = 0;
    this.clock = 0;
  }

  private tick(now: number): void {
    if (!this.playing) return;
    this.clock += (Math.max(0, now - this.last) / 1000) * this.speed;
    this.last = now;
    let due = Math.min(this.length, Math.floor(this.clock * this.fps) + 1) - this.next;
    if (due > MAX_FRAMES_PER_TICK) {
      // The tab was in the background: carry on from here rather than flood the stream. No frame is
      // skipped: the server numbers frames as they arrive, and the page's frame i must be the server's.
      due = MAX_FRAMES_PER_TICK;
      this.clock = (this.next + due) / this.fps;
    }
    if (due > 0) {
      const first = this.next;
      this.next += due;
      this.events.onFrames(first, due);
    }
    if (this.next >= this.length) {
      this.playing = false;
      this.events.onEnd();
      return;
    }
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }
}
