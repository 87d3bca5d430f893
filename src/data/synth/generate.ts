// Generating one recording: a performance (subjects, action, timing) is drawn once per
// (subject, replication, action) and seen by all three cameras, as in NTU where the Kinects recorded
// simultaneously; each camera adds its own view, sensor noise and tracking losses.
import { Rng } from '../../util/rng.js';
import { LAYOUTS } from '../layouts.js';
import { formatNtuName, type NtuSampleName } from '../ntu-name.js';
import type { NtuBody, NtuSkeleton } from '../ntu-reader.js';
import { type ActionContext, type ActionDef, type Actor, SYNTH_ACTIONS, synthAction } from './actions.js';
import { C, JOINTS, makeSubject, POSE_SIZE, poseJoints, restPose, type Subject } from './body.js';
import { cameraAzimuth, makeCamera, makeSetup, type SetupGeometry, toCamera } from './camera.js';
import { addIdle, reverseFrames, Track } from './motion.js';
import { bodyRecord, corrupt, makeSensor } from './sensor.js';

export const FPS = 30;
export const MIN_FRAMES = 40;
export const MAX_FRAMES = 200;

/** Keys of the independent random streams (Rng(seed, TAG, ...)). */
const TAG = { subject: 1, setup: 2, motion: 3, sensor: 4, partner: 5, stream: 6, scene: 7 } as const;

const NTU25_PARENTS = LAYOUTS.ntu25.parents;

export function subjectFor(seed: number, performer: number): Subject {
  return makeSubject(new Rng(seed, TAG.subject, performer));
}

export function setupFor(seed: number, setup: number): SetupGeometry {
  return makeSetup(new Rng(seed, TAG.setup, setup));
}

/** One actor's sampled poses [T, POSE_SIZE] and placement. */
interface ActorFrames {
  subject: Subject;
  frames: Float64Array;
  x: number;
  z: number;
  facing: number;
}

/** A performance: what every camera sees. */
export interface Performance {
  T: number;
  actors: ActorFrames[];
  /** Facing of the scene (radians; the actor frame's +z in world) and its offset from the centre (m). */
  facing: number;
  offsetX: number;
  offsetZ: number;
  /** World joints of each actor [T, 25, 3], computed once for all cameras. */
  world: Float64Array[];
}

function sampleActors(actors: Actor[], rng: Rng, reverse: boolean): { T: number; actors: ActorFrames[] } {
  for (const a of actors) addIdle(a.track, rng);
  const natural = Math.max(...actors.map((a) => Math.floor(a.track.end * FPS) + 1));
  const T = Math.min(MAX_FRAMES, Math.max(MIN_FRAMES, natural));
  return {
    T,
    actors: actors.map((a) => {
      const f = a.track.sample(FPS, T);
      return { subject: a.subject, frames: reverse ? reverseFrames(f, T) : f, x: a.x, z: a.z, facing: a.facing };
    }),
  };
}

/** Builds an action's actors, playing a time-reversed action backwards (stand up = sit down reversed). */
function buildAction(def: ActionDef, ctx: ActionContext): { actors: Actor[]; reverse: boolean } {
  if (def.reverseOf !== undefined) return { actors: synthAction(def.reverseOf).build(ctx), reverse: true };
  return { actors: def.build(ctx), reverse: false };
}

/** Facing for replication r: R1 towards camera 2, R2 towards camera 3 (NTU's protocol), others at random. */
function sceneFacing(setup: SetupGeometry, replication: number, rng: Rng): number {
  const base =
    replication === 1 ? cameraAzimuth(setup, 2) : replication === 2 ? cameraAzimuth(setup, 3) : rng.uniform(-1, 1);
  return base + rng.normal(0, 0.12);
}

export function makePerformance(seed: number, n: Omit<NtuSampleName, 'camera'>): Performance {
  const rng = new Rng(seed, TAG.motion, n.performer, n.replication, n.action, n.setup);
  const subject = subjectFor(seed, n.performer);
  const partner = makeSubject(new Rng(seed, TAG.partner, n.performer, n.replication, n.action));
  const def = synthAction(n.action);
  const { actors, reverse } = buildAction(def, { rng, subjects: [subject, partner], start: restPose(subject) });
  const { T, actors: sampled } = sampleActors(actors, rng, reverse);
  const scene = new Rng(seed, TAG.scene, n.performer, n.replication, n.action, n.setup);
  return placeScene(T, sampled, setupFor(seed, n.setup), n.replication, scene);
}

/** Places the actors in the scene and computes their world joints. */
function placeScene(
  T: number,
  actors: ActorFrames[],
  setup: SetupGeometry,
  replication: number,
  scene: Rng,
): Performance {
  const p: Performance = {
    T,
    actors,
    facing: sceneFacing(setup, replication, scene),
    offsetX: scene.uniform(-0.3, 0.3),
    offsetZ: scene.uniform(-0.3, 0.3),
    world: [],
  };
  p.world = actors.map((a) => {
    const w = new Float64Array(T * JOINTS * 3);
    for (let t = 0; t < T; t++) worldJoints(p, a, t, w.subarray(t * JOINTS * 3, (t + 1) * JOINTS * 3));
    return w;
  });
  return p;
}

/** World joints [25*3] of actor a at frame t. */
function worldJoints(p: Performance, a: ActorFrames, t: number, out: Float64Array): Float64Array {
  const pose = a.frames.subarray(t * POSE_SIZE, (t + 1) * POSE_SIZE);
  poseJoints(a.subject, pose, out);
  const f = p.facing + a.facing;
  const [cf, sf] = [Math.cos(f), Math.sin(f)];
  const [cs, ss] = [Math.cos(p.facing), Math.sin(p.facing)];
  const ox = p.offsetX + a.x * cs + a.z * ss;
  const oz = p.offsetZ - a.x * ss + a.z * cs;
  for (let i = 0; i < out.length; i += 3) {
    const x = out[i];
    const z = out[i + 2];
    out[i] = x * cf + z * sf + ox;
    out[i + 2] = -x * sf + z * cf + oz;
  }
  return out;
}

/** Frames [T] in which an actor is missing: a late start of tracking and short losses. */
function dropouts(rng: Rng, T: number, actors: number): Uint8Array[] {
  const lead = rng.next() < 0.1 ? 1 + rng.int(5) : 0;
  return Array.from({ length: actors }, () => {
    const lost = new Uint8Array(T);
    lost.fill(1, 0, lead);
    if (rng.next() < 0.15) {
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const start = rng.int(T);
        lost.fill(1, start, Math.min(T, start + 1 + rng.int(4)));
      }
    }
    return lost;
  });
}

function bodyId(rng: Rng): string {
  // Kinect ids are 64-bit: 72057594037927936 = 2^56, plus a tracking counter
  return (72057594037927936n + BigInt(rng.int(1 << 24))).toString();
}

/** A short-lived, nearly static extra "body" (Kinect sometimes takes an object for a person). */
function ghost(
  rng: Rng,
  T: number,
  seed: number,
): { from: number; to: number; joints: Float64Array; id: string } | null {
  if (rng.next() >= 0.05) return null;
  const len = Math.max(1, Math.min(8, Math.floor(0.08 * T)));
  const from = rng.int(Math.max(1, T - len));
  const s = makeSubject(new Rng(seed, TAG.partner, rng.int(1e6)));
  const joints = poseJoints(s, restPose(s));
  const yaw = rng.uniform(-Math.PI, Math.PI);
  const dx = rng.uniform(-1.5, 1.5);
  const dz = rng.uniform(-2.5, -1.5);
  for (let i = 0; i < joints.length; i += 3) {
    const [x, z] = [joints[i], joints[i + 2]];
    joints[i] = x * Math.cos(yaw) + z * Math.sin(yaw) + dx;
    joints[i + 2] = -x * Math.sin(yaw) + z * Math.cos(yaw) + dz;
  }
  return { from, to: from + len, joints, id: bodyId(rng) };
}

/** Renders a performance as camera `camera` of `setup` records it. */
export function renderPerformance(seed: number, p: Performance, n: NtuSampleName): NtuSkeleton {
  const setup = setupFor(seed, n.setup);
  const cam = makeCamera(setup, n.camera);
  const camAz = cameraAzimuth(setup, n.camera);
  const rng = new Rng(seed, TAG.sensor, n.performer, n.replication, n.action, n.camera, n.setup);
  const sensors = p.actors.map((a) => {
    // seen from the side when the actor's facing is ~90 degrees from the direction to the camera
    const side = Math.abs(Math.sin(p.facing + a.facing - camAz));
    return { sensor: makeSensor(rng, side), id: bodyId(rng) };
  });
  const lost = dropouts(rng, p.T, p.actors.length);
  const extra = ghost(rng, p.T, seed);
  const ghostSensor = makeSensor(rng, 0);
  const buf = new Float64Array(JOINTS * 3);
  const frames: NtuSkeleton['frames'] = [];
  for (let t = 0; t < p.T; t++) {
    const bodies: NtuBody[] = [];
    p.actors.forEach((a, k) => {
      if (lost[k][t]) return;
      buf.set(p.world[k].subarray(t * JOINTS * 3, (t + 1) * JOINTS * 3));
      toCamera(cam, buf);
      const states = corrupt(sensors[k].sensor, buf);
      const pose = a.frames.subarray(t * POSE_SIZE, (t + 1) * POSE_SIZE);
      const lean = { flex: pose[C.FLEX], side: pose[C.SIDE], yaw: p.facing + a.facing + pose[C.YAW] - camAz };
      bodies.push(bodyRecord(sensors[k].sensor, sensors[k].id, buf, states, NTU25_PARENTS, lean));
    });
    if (extra && t >= extra.from && t < extra.to) {
      buf.set(extra.joints);
      toCamera(cam, buf);
      const states = corrupt(ghostSensor, buf);
      bodies.push(bodyRecord(ghostSensor, extra.id, buf, states, NTU25_PARENTS, { flex: 0, side: 0, yaw: 0 }));
    }
    frames.push({ bodies });
  }
  return { source: `${formatNtuName(n)}.skeleton`, frames };
}

/** One sample, as one camera recorded it. */
export function generateSample(seed: number, n: NtuSampleName): NtuSkeleton {
  return renderPerformance(seed, makePerformance(seed, n), n);
}

/** One performance seen by several cameras (the motion is computed once). */
export function generateViews(
  seed: number,
  n: Omit<NtuSampleName, 'camera'>,
  cameras: readonly number[],
): NtuSkeleton[] {
  const p = makePerformance(seed, n);
  return cameras.map((camera) => renderPerformance(seed, p, { ...n, camera }));
}

export interface StreamResult {
  skeleton: NtuSkeleton;
  /** NTU action id of each frame, 0 between actions, [T]. */
  labels: Int32Array;
}

/**
 * A long recording chaining single-person actions (in an order a person can follow: after sitting down
 * comes standing up), with 0.5-2 s of idle transition between them, labelled per frame.
 * `n.action` should be 0 (the stream is no single action).
 */
export function generateStream(
  seed: number,
  n: NtuSampleName,
  seconds: number,
  actions: readonly number[],
): StreamResult {
  const rng = new Rng(seed, TAG.stream, n.performer, n.replication, n.camera, n.setup);
  const subject = subjectFor(seed, n.performer);
  const rest = restPose(subject);
  const pool = actions.map(synthAction).filter((d) => d.persons === 1);
  if (pool.length === 0) throw new RangeError(`streams need single-person actions; got only ${actions.join(', ')}`);
  const chunks: Float64Array[] = [];
  const labels: number[] = [];
  let last = rest;
  let posture: ActionDef['startPosture'] = 'stand';
  while (labels.length < seconds * FPS) {
    const allowed = pool.filter((d) => d.startPosture === posture);
    const def: ActionDef =
      allowed.length > 0 ? allowed[rng.int(allowed.length)] : synthAction(posture === 'sit' ? 9 : 8);
    const { actors, reverse } = buildAction(def, { rng, subjects: [subject, subject], start: rest });
    const f = actors[0].track.sample(FPS);
    const frames = reverse ? reverseFrames(f, f.length / POSE_SIZE) : f;
    const first = frames.subarray(0, POSE_SIZE);
    const gap = new Track(last).to(rng.uniform(0.5, 2), first.slice()).sample(FPS);
    chunks.push(gap, frames);
    for (let k = 0; k < gap.length / POSE_SIZE; k++) labels.push(0);
    for (let k = 0; k < frames.length / POSE_SIZE; k++) labels.push(def.ntu);
    last = frames.slice(frames.length - POSE_SIZE);
    posture = def.endPosture;
  }
  const T = labels.length;
  const all = new Float64Array(T * POSE_SIZE);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const idle = addIdle(new Track(new Float64Array(POSE_SIZE)), rng).sample(FPS, T);
  for (let i = 0; i < all.length; i++) all[i] += idle[i];
  const scene = new Rng(seed, TAG.scene, n.performer, n.replication, n.camera, n.setup, 1);
  const actor = { subject, frames: all, x: 0, z: 0, facing: 0 };
  const p = placeScene(T, [actor], setupFor(seed, n.setup), n.replication, scene);
  return { skeleton: renderPerformance(seed, p, n), labels: Int32Array.from(labels) };
}

/** NTU ids of all synthetic actions. */
export const DEFAULT_ACTIONS: readonly number[] = SYNTH_ACTIONS.map((a) => a.ntu);
