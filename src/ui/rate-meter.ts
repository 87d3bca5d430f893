// How many things (frames sent, poses found) happened per second, measured over the last seconds, rather
// than the rate they were meant to happen at: a page that stalls (a slow pose estimator) shows it.

export class RateMeter {
  /** Times (performance.now()) and counts of the events in the window, oldest first, in a ring. */
  private readonly times: Float64Array;
  private readonly counts: Float64Array;
  private first = 0;
  private n = 0;
  /** When the first event since the last reset came (NaN: none yet). */
  private since = Number.NaN;

  constructor(
    /** The window, milliseconds. */
    private readonly windowMs = 2000,
    capacity = 512,
  ) {
    this.times = new Float64Array(capacity);
    this.counts = new Float64Array(capacity);
  }

  /** `count` events at `now`. */
  note(count: number, now = performance.now()): void {
    if (Number.isNaN(this.since)) this.since = now;
    this.drop(now);
    if (this.n === this.times.length) this.shift();
    const at = (this.first + this.n) % this.times.length;
    this.times[at] = now;
    this.counts[at] = count;
    this.n++;
  }

  /**
   * Events per second: those of the window up to `now`, over the window (over the time since the first event
   * when that is shorter, but at least a second); 0 before any.
   */
  perSecond(now = performance.now()): number {
    this.drop(now);
    if (this.n === 0) return 0;
    let total = 0;
    for (let i = 0; i < this.n; i++) total += this.counts[(this.first + i) % this.times.length];
    return (1000 * total) / Math.max(1000, Math.min(this.windowMs, now - this.since));
  }

  /**
   * Forgets every event (a new stream); with `now`, counts time from then (the first answer of something slow
   * to start then comes at its real rate), else from the next event.
   */
  reset(now = Number.NaN): void {
    this.n = 0;
    this.since = now;
  }

  private drop(now: number): void {
    while (this.n > 0 && now - this.times[this.first] > this.windowMs) this.shift();
  }

  private shift(): void {
    this.first = (this.first + 1) % this.times.length;
    this.n--;
  }
}
