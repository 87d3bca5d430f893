// Pose tracks: key poses joined by minimum-jerk moves, plus additive layers (oscillations, idle sway),
// sampled at the recording frame rate into [T, POSE_SIZE].
import type { Rng } from '../../util/rng.js';
import { C, POSE_SIZE } from './body.js';

export type Channel = keyof typeof C;
export type PoseChange = Partial<Record<Channel, number>>;

/** Minimum-jerk profile 10s^3 - 15s^4 + 6s^5: zero velocity and acceleration at both ends (Flash & Hogan 1985). */
export function minJerk(s: number): number {
  const x = Math.min(1, Math.max(0, s));
  return x * x * x * (10 + x * (-15 + 6 * x));
}

/** A copy of `pose` with some channels replaced. */
export function withPose(pose: Float64Array, change: PoseChange): Float64Array {
  const p = pose.slice();
  for (const [k, v] of Object.entries(change)) p[C[k as Channel]] = v as number;
  return p;
}

interface Key {
  t: number;
  pose: Float64Array;
}

type Layer = (t: number, pose: Float64Array) => void;

export class Track {
  private readonly keys: Key[];
  private readonly layers: Layer[] = [];

  constructor(start: Float64Array) {
    this.keys = [{ t: 0, pose: start.slice() }];
  }

  /** Time of the last key, seconds. */
  get end(): number {
    return this.keys[this.keys.length - 1].t;
  }

  get last(): Float64Array {
    return this.keys[this.keys.length - 1].pose;
  }

  /** Keeps the current pose for `dt` seconds. */
  hold(dt: number): this {
    this.keys.push({ t: this.end + Math.max(0, dt), pose: this.last });
    return this;
  }

  /** Moves to `pose` (or the last pose with `change` applied) in `dt` seconds. */
  to(dt: number, target: Float64Array | PoseChange): this {
    const pose = target instanceof Float64Array ? target.slice() : withPose(this.last, target);
    this.keys.push({ t: this.end + Math.max(1 / 60, dt), pose });
    return this;
  }

  /** Adds f(t) to channel `ch` between t0 and t1, faded in and out over `fade` seconds. */
  add(ch: Channel, t0: number, t1: number, f: (t: number) => number, fade = 0.15): this {
    const i = C[ch];
    this.layers.push((t, pose) => {
      if (t < t0 || t > t1) return;
      const env = Math.min(1, (t - t0) / fade, (t1 - t) / fade);
      pose[i] += env * f(t - t0);
    });
    return this;
  }

  /** Adds a raw layer (free access to the whole pose). */
  layer(fn: Layer): this {
    this.layers.push(fn);
    return this;
  }

  /** The pose at time t (seconds), into out. */
  at(t: number, out: Float64Array): Float64Array {
    const k = this.keys;
    let i = 1;
    while (i < k.length && k[i].t < t) i++;
    if (i >= k.length) out.set(k[k.length - 1].pose);
    else {
      const a = k[i - 1];
      const b = k[i];
      const w = minJerk((t - a.t) / Math.max(1e-9, b.t - a.t));
      for (let c = 0; c < POSE_SIZE; c++) out[c] = a.pose[c] + w * (b.pose[c] - a.pose[c]);
    }
    for (const l of this.layers) l(t, out);
    return out;
  }

  /** Samples frames 0..T-1 at `fps` into [T, POSE_SIZE]. */
  sample(fps: number, T = Math.floor(this.end * fps) + 1): Float64Array {
    const out = new Float64Array(T * POSE_SIZE);
    const tmp = new Float64Array(POSE_SIZE);
    for (let f = 0; f < T; f++) out.set(this.at(f / fps, tmp), f * POSE_SIZE);
    return out;
  }
}

/**
 * Idle life: slow sway of the pelvis, breathing, drifting arms and head, each a sum of two sinusoids of
 * random frequency and phase (units as the channels).
 */
export function addIdle(track: Track, rng: Rng, strength = 1): Track {
  const spec: [Channel, number][] = [
    ['PX', 0.006],
    ['PZ', 0.006],
    ['FLEX', 0.02],
    ['SIDE', 0.015],
    ['HEAD_FLEX', 0.05],
    ['HEAD_YAW', 0.08],
    ['WLX', 0.02],
    ['WLZ', 0.03],
    ['WRX', 0.02],
    ['WRZ', 0.03],
    ['YAW', 0.03],
  ];
  for (const [ch, amp] of spec) {
    const parts = [0, 1].map(() => ({
      f: rng.uniform(0.08, 0.6),
      ph: rng.uniform(0, 2 * Math.PI),
      a: amp * strength * rng.uniform(0.3, 1),
    }));
    track.add(ch, -1, 1e9, (t) => parts.reduce((s, p) => s + p.a * Math.sin(2 * Math.PI * p.f * t + p.ph), 0), 1e-9);
  }
  return track;
}

/** Reverses a sampled track [T, P] in time (stand up = sit down played backwards). */
export function reverseFrames(frames: Float64Array, T: number): Float64Array {
  const out = new Float64Array(frames.length);
  for (let t = 0; t < T; t++) out.set(frames.subarray(t * POSE_SIZE, (t + 1) * POSE_SIZE), (T - 1 - t) * POSE_SIZE);
  return out;
}
