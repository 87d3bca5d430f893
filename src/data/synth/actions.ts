// Procedural actions with NTU action ids. Each builds one pose Track per person from the subject's rest
// pose, with randomised timing, speed, amplitude and repetitions. Pairs that only time or fine motion
// tells apart are deliberate: sitting down / standing up (exact time reverses), hand waving / salute,
// clapping / putting the palms together / rubbing the hands, walking towards / apart from each other.
import type { Rng } from '../../util/rng.js';
import { ntuActionName } from '../ntu-actions.js';
import { armLength, C, restPose, type Subject } from './body.js';
import { minJerk, type PoseChange, Track, withPose } from './motion.js';

export type Posture = 'stand' | 'sit';

export interface Actor {
  subject: Subject;
  track: Track;
  /** Placement of the actor frame in the scene: position (metres) and facing (radians about y; 0 = +z). */
  x: number;
  z: number;
  facing: number;
}

export interface ActionContext {
  rng: Rng;
  /** The performer, and the partner for two-person actions. */
  subjects: [Subject, Subject];
  /** Pose to start from (the rest or sitting pose of subjects[0]); streams chain actions through it. */
  start: Float64Array;
}

export interface ActionDef {
  ntu: number;
  name: string;
  persons: 1 | 2;
  startPosture: Posture;
  endPosture: Posture;
  /** When set, this action is generated as the time reverse of action `reverseOf`. */
  reverseOf?: number;
  build(ctx: ActionContext): Actor[];
}

/** Seconds scaled by the subject's tempo and a per-sample speed. */
function timer(ctx: ActionContext): (sec: number) => number {
  const v = ctx.subjects[0].tempo * ctx.rng.uniform(0.8, 1.25);
  return (sec) => sec / v;
}

/** What an action of one performer starts with: the random stream, the performer and its timer. */
function begin(ctx: ActionContext): { rng: Rng; s: Subject; sec: (sec: number) => number } {
  return { rng: ctx.rng, s: ctx.subjects[0], sec: timer(ctx) };
}

/** Gesture amplitude: the subject's habit times a per-sample factor. */
function amp(ctx: ActionContext): number {
  return ctx.subjects[0].amplitude * ctx.rng.uniform(0.85, 1.15);
}

function solo(ctx: ActionContext, track: Track): Actor[] {
  return [{ subject: ctx.subjects[0], track, x: 0, z: 0, facing: 0 }];
}

/** Wrist target (units of arm length) for a point given in metres relative to SpineShoulder. */
function wristAt(s: Subject, xm: number, ym: number, zm: number): [number, number, number] {
  const L = armLength(s);
  return [xm / L, ym / L, zm / L];
}

/** Both wrists at mirror-image targets: the left at (x, y, z), the right at (-x, y, z). */
function bothWrists([x, y, z]: [number, number, number]): PoseChange {
  return { WLX: x, WLY: y, WLZ: z, WRX: -x, WRY: y, WRZ: z };
}

/** A sine of amplitude `A` and frequency `f` (Hz), for a layer added to a track. */
const wave = (A: number, f: number) => (t: number) => A * Math.sin(2 * Math.PI * f * t);

/** The seated pose: pelvis low and back, hands on the thighs, feet forward. */
export function sitPose(s: Subject, rest: Float64Array): Float64Array {
  const hands = bothWrists(wristAt(s, 0.12, -0.42, 0.14));
  return withPose(rest, { PY: 0.6, PZ: -0.17, FLEX: rest[C.FLEX] + 0.12, ...hands, ALZ: 0.05, ARZ: 0.05 });
}

function sittingDown(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const seated = sitPose(s, ctx.start);
  const lean = rng.uniform(0.4, 0.7);
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 1.2))
    .to(sec(rng.uniform(0.5, 0.8)), {
      PY: 0.82,
      PZ: -0.07,
      FLEX: ctx.start[C.FLEX] + lean,
      WLZ: 0.3,
      WRZ: 0.3,
      WLY: -0.75,
      WRY: -0.75,
    })
    .to(sec(rng.uniform(0.6, 1.0)), seated)
    .hold(rng.uniform(0.2, 1.2));
  return solo(ctx, tr);
}

function handWaving(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const a = amp(ctx);
  const [x, y, z] = wristAt(s, -rng.uniform(0.15, 0.3), rng.uniform(0.12, 0.26), rng.uniform(0.1, 0.22));
  const raise = sec(rng.uniform(0.35, 0.6));
  const t0 = rng.uniform(0.2, 0.9);
  const cycles = 3 + rng.int(4);
  const f = rng.uniform(1.2, 2.2);
  const tr = new Track(ctx.start).hold(t0).to(raise, { WRX: x, WRY: y, WRZ: z, ELBOW_OUT_R: 1 });
  const tw = tr.end;
  tr.hold(cycles / f)
    .to(sec(rng.uniform(0.35, 0.6)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  const A = (a * rng.uniform(0.1, 0.18)) / armLength(s); // 10-18 cm each side
  tr.add('WRX', tw - 0.1, tw + cycles / f + 0.1, wave(A, f));
  return solo(ctx, tr);
}

function salute(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  // the fingertips at the right brow: the wrist a little in front of and beside the head
  const [x, y, z] = wristAt(s, -rng.uniform(0.12, 0.25), rng.uniform(0.12, 0.24), rng.uniform(0.1, 0.2));
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.35, 0.6)), { WRX: x, WRY: y, WRZ: z, ELBOW_OUT_R: 1, HEAD_FLEX: -0.05 })
    .hold(rng.uniform(0.6, 1.6))
    .to(sec(rng.uniform(0.35, 0.6)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  return solo(ctx, tr);
}

/** Both wrists in front of the chest, `gap` metres apart (0 = touching). */
function handsFront(s: Subject, gap: number, ym: number, zm: number): PoseChange {
  return { ...bothWrists(wristAt(s, gap / 2 + 0.03, ym, zm)), ELBOW_OUT_L: 0.4, ELBOW_OUT_R: 0.4 };
}

/** Where the hands meet in front of the chest (metres from SpineShoulder): shared by the hand-together actions. */
function meetingPoint(rng: Rng): { ym: number; zm: number } {
  return { ym: -rng.uniform(0.05, 0.3), zm: rng.uniform(0.2, 0.4) };
}

function clapping(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const a = amp(ctx);
  const { ym, zm } = meetingPoint(rng);
  const open = a * rng.uniform(0.08, 0.18);
  const claps = 4 + rng.int(5);
  const f = rng.uniform(1.5, 2.5);
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.35, 0.6)), handsFront(s, open / 2, ym, zm));
  const tc = tr.end;
  tr.hold(claps / f)
    .to(sec(rng.uniform(0.35, 0.6)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  const L = armLength(s);
  // the gap opens and closes between 0 and `open`: each wrist moves by half of it along x
  const half = (t: number): number => ((open / 4) * Math.cos(2 * Math.PI * f * t)) / L;
  tr.add('WLX', tc, tc + claps / f, half, 0.05).add('WRX', tc, tc + claps / f, (t) => -half(t), 0.05);
  return solo(ctx, tr);
}

/** Hands brought together in front of the chest and held for `hold` seconds; returns the track and when the hold starts. */
function handsTogether(ctx: ActionContext, hold: number): { tr: Track; t0: number } {
  const { rng, s, sec } = begin(ctx);
  const { ym, zm } = meetingPoint(rng);
  const bow = rng.next() < 0.4 ? rng.uniform(0.05, 0.3) : 0;
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.4, 0.7)), { ...handsFront(s, rng.uniform(0, 0.03), ym, zm), FLEX: ctx.start[C.FLEX] + bow });
  const t0 = tr.end;
  tr.hold(hold)
    .to(sec(rng.uniform(0.4, 0.7)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  return { tr, t0 };
}

function palmsTogether(ctx: ActionContext): Actor[] {
  return solo(ctx, handsTogether(ctx, ctx.rng.uniform(0.8, 2.2)).tr);
}

/** Rubbing: palms together, sliding against each other (opposite y motion), which only time reveals. */
function rubHands(ctx: ActionContext): Actor[] {
  const { rng } = ctx;
  const hold = rng.uniform(1.5, 3);
  const { tr, t0 } = handsTogether(ctx, hold);
  const L = armLength(ctx.subjects[0]);
  const A = rng.uniform(0.05, 0.09) / L; // vigorous strokes, 10-18 cm peak to peak
  const f = rng.uniform(1.2, 2.2);
  tr.add('WLY', t0, t0 + hold, wave(A, f)).add('WRY', t0, t0 + hold, wave(-A, f));
  return solo(ctx, tr);
}

function jumpUp(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const a = amp(ctx);
  const crouch: PoseChange = { PY: rng.uniform(0.8, 0.88), FLEX: ctx.start[C.FLEX] + 0.3, ...armsBack(s) };
  const tr = new Track(ctx.start).hold(rng.uniform(0.2, 0.8));
  const jumps = 1 + rng.int(2);
  for (let k = 0; k < jumps; k++) {
    tr.to(sec(rng.uniform(0.35, 0.5)), crouch);
    const h = (a * rng.uniform(0.12, 0.25)) / s.height;
    const flight = 2 * Math.sqrt((2 * h * s.height) / 9.81);
    const tj = tr.end;
    tr.to(0.12, { PY: 1, FLEX: ctx.start[C.FLEX], ...armsUp(s) })
      .hold(flight)
      .to(0.15, crouch);
    tr.add('LIFT', tj + 0.12, tj + 0.12 + flight, (t) => 4 * h * (t / flight) * (1 - t / flight), 1e-3);
  }
  tr.to(sec(rng.uniform(0.35, 0.6)), ctx.start).hold(rng.uniform(0.2, 0.8));
  return solo(ctx, tr);
}

const armsBack = (s: Subject): PoseChange => bothWrists(wristAt(s, 0.22, -0.45, -0.2));
const armsUp = (s: Subject): PoseChange => bothWrists(wristAt(s, 0.25, 0.35, 0.25));

function kicking(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const a = amp(ctx);
  const H = s.height;
  const ax = ctx.start[C.ARX];
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.3, 0.5)), { ARZ: -0.12, ARY: 0.06, FLEX: ctx.start[C.FLEX] + 0.05 })
    .to(sec(rng.uniform(0.18, 0.3)), {
      ARZ: (a * rng.uniform(0.3, 0.42) * 1.7) / H,
      ARY: (a * rng.uniform(0.15, 0.3) * 1.7) / H,
      ARX: ax * 0.5,
      FLEX: ctx.start[C.FLEX] - 0.15,
      ...armsSwing(s, 0.15),
    })
    .to(sec(rng.uniform(0.3, 0.5)), { ARZ: 0.06, ARY: 0.02 })
    .to(sec(rng.uniform(0.25, 0.4)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  return solo(ctx, tr);
}

/** Arms swung for balance: left forward, right back by `m` metres. */
function armsSwing(s: Subject, m: number): PoseChange {
  const [x, y] = wristAt(s, 0.2, -0.48, 0);
  const L = armLength(s);
  return { WLX: x, WLY: y, WLZ: m / L, WRX: -x, WRY: y, WRZ: -m / L };
}

function cheerUp(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const a = amp(ctx);
  const hands = bothWrists(wristAt(s, rng.uniform(0.2, 0.35), rng.uniform(0.38, 0.48), rng.uniform(0.0, 0.15)));
  const pumps = 2 + rng.int(3);
  const f = rng.uniform(1.5, 2.5);
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.35, 0.6)), { ...hands, ELBOW_OUT_L: 1, ELBOW_OUT_R: 1 });
  const tp = tr.end;
  tr.hold(pumps / f)
    .to(sec(rng.uniform(0.4, 0.7)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  const A = (a * rng.uniform(0.06, 0.12)) / armLength(s);
  tr.add('WLY', tp, tp + pumps / f, wave(A, f)).add('WRY', tp, tp + pumps / f, wave(A, f));
  return solo(ctx, tr);
}

function pointing(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const az = rng.uniform(-0.5, 0.2); // towards the right-front
  const el = rng.uniform(-0.15, 0.3);
  const r = 0.97;
  const sh = s.shoulderHalf / armLength(s);
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.35, 0.6)), {
      WRX: -sh + r * Math.sin(az) * Math.cos(el),
      WRY: r * Math.sin(el),
      WRZ: r * Math.cos(az) * Math.cos(el),
      ELBOW_OUT_R: 0.6,
      HEAD_YAW: az * 0.5,
    })
    .hold(rng.uniform(0.6, 1.8))
    .to(sec(rng.uniform(0.35, 0.6)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  return solo(ctx, tr);
}

function nodBow(ctx: ActionContext): Actor[] {
  const { rng } = ctx;
  const sec = timer(ctx);
  const a = amp(ctx);
  const deep = rng.next() < 0.6;
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.4, 0.7)), {
      FLEX: ctx.start[C.FLEX] + (deep ? a * rng.uniform(0.45, 0.8) : 0.08),
      HEAD_FLEX: rng.uniform(0.25, 0.5),
      PZ: deep ? -0.02 : 0,
    })
    .hold(rng.uniform(0.2, 0.7))
    .to(sec(rng.uniform(0.4, 0.7)), ctx.start)
    .hold(rng.uniform(0.2, 0.9));
  return solo(ctx, tr);
}

function pickUp(ctx: ActionContext): Actor[] {
  const { rng, s, sec } = begin(ctx);
  const reach = wristAt(s, -0.12, -0.75, 0.25);
  const carry = wristAt(s, -0.16, -0.35, 0.2);
  const tr = new Track(ctx.start)
    .hold(rng.uniform(0.2, 0.9))
    .to(sec(rng.uniform(0.7, 1.1)), {
      FLEX: ctx.start[C.FLEX] + rng.uniform(0.9, 1.25),
      PY: rng.uniform(0.7, 0.85),
      PZ: -0.05,
      HEAD_FLEX: 0.2,
      WRX: reach[0],
      WRY: reach[1],
      WRZ: reach[2],
    })
    .hold(rng.uniform(0.2, 0.5))
    .to(sec(rng.uniform(0.7, 1.1)), withPose(ctx.start, { WRX: carry[0], WRY: carry[1], WRZ: carry[2] }))
    .hold(rng.uniform(0.3, 1.0));
  return solo(ctx, tr);
}

/**
 * A walking gait over `dist` metres from time t0: the pelvis moves at `speed`, the feet take alternate
 * steps of length L (each foot planted, then swung to land half a step ahead of the pelvis), the arms
 * swing against the legs. `dir` = -1 walks along the actor's -z: for an actor turned by YAW = pi, whose
 * ankle and wrist targets turn with it. Returns the gait's duration in seconds.
 */
function addGait(tr: Track, s: Subject, rng: Rng, t0: number, dist: number, speed: number, dir: 1 | -1 = 1): number {
  const H = s.height;
  const L = rng.uniform(0.55, 0.72) * (H / 1.7);
  const cadence = speed / L; // steps per second
  const steps = Math.max(2, Math.ceil(dist / L - 1.5) + 2);
  const dur = steps / cadence;
  const lift = rng.uniform(0.06, 0.1) / H;
  const landing = (k: number): number => Math.min((k + 1.5) * L, dist);
  const footAt = (foot: number, phase: number): [number, number] => {
    const k = Math.floor(phase);
    let start = 0;
    for (let j = k - 1; j >= 0; j--) {
      if (j % 2 === foot) {
        start = landing(j);
        break;
      }
    }
    if (k >= steps || k % 2 !== foot) return [start, 0];
    const w = phase - k;
    return [start + minJerk(w) * (landing(k) - start), lift * Math.sin(Math.PI * w)];
  };
  tr.layer((t, p) => {
    const u = Math.min(Math.max(t - t0, 0), dur);
    const phase = u * cadence;
    p[C.PZ] += (dir * Math.min(dist, phase * L)) / H;
    const [zl, yl] = footAt(0, phase);
    const [zr, yr] = footAt(1, phase);
    p[C.ALZ] += zl / H;
    p[C.ALY] += yl;
    p[C.ARZ] += zr / H;
    p[C.ARY] += yr;
    const walking = u > 0 && u < dur;
    const swing = walking ? 0.12 * Math.sin(Math.PI * phase) : 0;
    p[C.WLZ] += swing;
    p[C.WRZ] -= swing;
    p[C.PY] -= walking ? 0.012 * Math.abs(Math.sin(Math.PI * phase)) : 0;
  });
  return dur;
}

function pairPlacement(
  rng: Rng,
  gap: number,
): [{ x: number; z: number; facing: number }, { x: number; z: number; facing: number }] {
  const lateral = rng.uniform(0.04, 0.15);
  return [
    { x: lateral, z: -gap / 2, facing: 0 },
    { x: -lateral, z: gap / 2, facing: Math.PI },
  ];
}

function walkingTowards(ctx: ActionContext): Actor[] {
  const { rng } = ctx;
  const start = rng.uniform(3.2, 4.2);
  const stop = rng.uniform(0.8, 1.2);
  const place = pairPlacement(rng, start);
  const t0 = rng.uniform(0.2, 0.8);
  return ctx.subjects.map((s, i) => {
    const speed = rng.uniform(0.8, 1.2) * s.tempo;
    const tr = new Track(restPose(s));
    const dur = addGait(tr, s, rng, t0 + rng.uniform(0, 0.3), (start - stop) / 2, speed);
    tr.hold(t0 + 0.3 + dur + rng.uniform(0.3, 0.9));
    return { subject: s, track: tr, ...place[i] };
  });
}

function walkingApart(ctx: ActionContext): Actor[] {
  const { rng } = ctx;
  const start = rng.uniform(0.8, 1.2);
  const end = rng.uniform(3.2, 4.2);
  const place = pairPlacement(rng, start);
  return ctx.subjects.map((s, i) => {
    const speed = rng.uniform(0.8, 1.2) * s.tempo;
    const rest = restPose(s);
    const turn = rng.uniform(0.5, 0.9);
    const dir = rng.next() < 0.5 ? 1 : -1;
    const tr = new Track(rest).hold(rng.uniform(0.2, 0.8)).to(turn, { YAW: dir * Math.PI });
    const t0 = tr.end;
    // after the turn the actor faces away: walk along its original -z
    const dur = addGait(tr, s, rng, t0, (end - start) / 2, speed, -1);
    tr.hold(dur + rng.uniform(0.3, 0.8));
    return { subject: s, track: tr, ...place[i] };
  });
}

function handshaking(ctx: ActionContext): Actor[] {
  const { rng } = ctx;
  const gap = rng.uniform(0.75, 0.95);
  const place = pairPlacement(rng, gap);
  const t0 = rng.uniform(0.2, 0.8);
  const reach = rng.uniform(0.45, 0.6);
  const shakeT = rng.uniform(0.8, 1.8);
  const f = rng.uniform(2, 3.5);
  return ctx.subjects.map((s, i) => {
    // the right hands meet at the centre line, ahead of both
    const [x, y, z] = wristAt(s, -place[0].x, -0.35, gap / 2 - 0.1);
    const tr = new Track(restPose(s))
      .hold(t0 + rng.uniform(0, 0.2))
      .to(reach, { WRX: x, WRY: y, WRZ: z, ELBOW_OUT_R: 0.2, FLEX: rng.uniform(0.03, 0.12) });
    const ts = tr.end;
    tr.hold(shakeT).to(reach, restPose(s)).hold(rng.uniform(0.3, 0.8));
    const A = 0.05 / armLength(s);
    tr.add('WRY', ts, ts + shakeT, wave(A, f));
    return { subject: s, track: tr, ...place[i] };
  });
}

function def(
  ntu: number,
  build: ActionDef['build'],
  opts: Partial<Pick<ActionDef, 'persons' | 'startPosture' | 'endPosture' | 'reverseOf'>> = {},
): ActionDef {
  return { ntu, name: ntuActionName(ntu), persons: 1, startPosture: 'stand', endPosture: 'stand', build, ...opts };
}

/** The synthetic action set, by NTU id. */
export const SYNTH_ACTIONS: readonly ActionDef[] = [
  def(6, pickUp),
  def(8, sittingDown, { endPosture: 'sit' }),
  def(9, sittingDown, { startPosture: 'sit', reverseOf: 8 }),
  def(10, clapping),
  def(22, cheerUp),
  def(23, handWaving),
  def(24, kicking),
  def(27, jumpUp),
  def(31, pointing),
  def(34, rubHands),
  def(35, nodBow),
  def(38, salute),
  def(39, palmsTogether),
  def(58, handshaking, { persons: 2 }),
  def(59, walkingTowards, { persons: 2 }),
  def(60, walkingApart, { persons: 2 }),
];

export function synthAction(ntu: number): ActionDef {
  const a = SYNTH_ACTIONS.find((x) => x.ntu === ntu);
  if (!a)
    throw new RangeError(
      `the synthetic generator has no action ${ntu} (available: ${SYNTH_ACTIONS.map((x) => x.ntu).join(', ')})`,
    );
  return a;
}
