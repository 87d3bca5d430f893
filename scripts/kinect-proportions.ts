// Where the Kinect trackers put the joints that MediaPipe Pose has no landmark for, measured on real
// recordings: the constants of src/data/mediapipe.ts (spine, neck, hand, hand tip, foot) come from here.
//
// Every figure is a median over the frames of every present body, as a fraction of a bone the two
// trackers share: a joint on the spine as a fraction of the way from the hip centre to the shoulder
// centre, the hand beyond the wrist as a fraction of the forearm, the foot beyond the ankle as a fraction
// of the shin. Kinect v1 (N-UCLA, kinect20) and Kinect v2 (PKU-MMD, ntu25) place them differently.
import { listNuclaFiles, readNuclaClip } from '../src/data/nucla-reader.js';
import { listPkuRecordings, readPkuSkeleton } from '../src/data/pku-mmd-reader.js';
import { scriptArgs } from './script-args.js';

type V = [number, number, number];
const at = (d: Float32Array, base: number, j: number): V => [d[base + j * 3], d[base + j * 3 + 1], d[base + j * 3 + 2]];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const len = (a: V) => Math.hypot(a[0], a[1], a[2]);
const mid = (a: V, b: V): V => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
/** Where p lies along a -> b, as a fraction of |b - a| (projected on the line). */
const along = (p: V, a: V, b: V) => dot(sub(p, a), sub(b, a)) / dot(sub(b, a), sub(b, a));
/** |p - a| / |b - a|. */
const ratio = (p: V, a: V, b: V, c: V) => len(sub(p, a)) / len(sub(c, b));

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
}

/** Kinect joints of one body: indices in its layout. */
interface Joints {
  hip: number; // hip centre / spine base
  spine: number; // spine (v1) / spine mid (v2)
  shoulder: number; // shoulder centre / spine shoulder
  neck: number | null;
  head: number;
  lShoulder: number;
  rShoulder: number;
  lHip: number;
  rHip: number;
  elbow: number;
  wrist: number;
  hand: number;
  handTip: number | null;
  thumb: number | null;
  knee: number;
  ankle: number;
  foot: number;
}

const KINECT20: Joints = {
  ...{ hip: 0, spine: 1, shoulder: 2, neck: null, head: 3, lShoulder: 4, rShoulder: 8, lHip: 12, rHip: 16 },
  ...{ elbow: 5, wrist: 6, hand: 7, handTip: null, thumb: null, knee: 13, ankle: 14, foot: 15 },
};
const NTU25: Joints = {
  ...{ hip: 0, spine: 1, shoulder: 20, neck: 2, head: 3, lShoulder: 4, rShoulder: 8, lHip: 12, rHip: 16 },
  ...{ elbow: 5, wrist: 6, hand: 7, handTip: 21, thumb: 22, knee: 13, ankle: 14, foot: 15 },
};

function measure(bodies: Iterable<{ d: Float32Array; base: number }>, k: Joints): Record<string, number> {
  const m: Record<string, number[]> = {};
  const add = (name: string, v: number) => {
    m[name] ??= [];
    m[name].push(v);
  };
  for (const { d, base } of bodies) {
    const p = (j: number) => at(d, base, j);
    const hip = p(k.hip);
    const top = p(k.shoulder);
    add('spine along hip centre -> shoulder centre', along(p(k.spine), hip, top));
    add('mid-shoulders along hip centre -> shoulder centre', along(mid(p(k.lShoulder), p(k.rShoulder)), hip, top));
    add('mid-hips along hip centre -> shoulder centre', along(mid(p(k.lHip), p(k.rHip)), hip, top));
    add('head above shoulder centre / torso', along(p(k.head), top, sub(top, sub(hip, top))));
    if (k.neck !== null) add('neck along shoulder centre -> head', along(p(k.neck), top, p(k.head)));
    add('hand beyond wrist / forearm', ratio(p(k.hand), p(k.wrist), p(k.elbow), p(k.wrist)));
    add('hand along elbow -> wrist (1 = wrist)', along(p(k.hand), p(k.elbow), p(k.wrist)));
    if (k.handTip !== null)
      add('hand tip beyond hand / forearm', ratio(p(k.handTip), p(k.hand), p(k.elbow), p(k.wrist)));
    if (k.thumb !== null) add('thumb beyond wrist / forearm', ratio(p(k.thumb), p(k.wrist), p(k.elbow), p(k.wrist)));
    add('foot beyond ankle / shin', ratio(p(k.foot), p(k.ankle), p(k.knee), p(k.ankle)));
    add('torso length (m)', len(sub(top, hip)));
    add('shoulder width / torso', len(sub(p(k.lShoulder), p(k.rShoulder))) / len(sub(top, hip)));
    add('hip width / torso', len(sub(p(k.lHip), p(k.rHip))) / len(sub(top, hip)));
  }
  return Object.fromEntries(Object.entries(m).map(([name, xs]) => [name, median(xs)]));
}

function* nuclaBodies(dir: string, every: number) {
  for (const f of listNuclaFiles(dir).filter((_, i) => i % every === 0)) {
    const clip = readNuclaClip(f);
    for (let t = 0; t < clip.T; t++) yield { d: clip.data, base: t * 60 };
  }
}

function* pkuBodies(dir: string, every: number) {
  for (const r of listPkuRecordings(dir).filter((_, i) => i % every === 0)) {
    const { T, data } = readPkuSkeleton(r.skeletonPath);
    for (let t = 0; t < T; t += 10)
      for (let b = 0; b < 2; b++) {
        const base = (t * 2 + b) * 75;
        if (data[base] !== 0 || data[base + 1] !== 0 || data[base + 2] !== 0) yield { d: data, base };
      }
  }
}

const { values: o } = scriptArgs({
  name: 'kinect-proportions',
  about:
    'where the Kinect trackers put the joints MediaPipe Pose has no landmark for (spine, neck, hand, hand tip, foot), as fractions of bones both share, measured on real recordings',
  options: {
    nucla: { type: 'string', arg: 'DIR', help: 'N-UCLA clips (kinect20)' },
    'pku-mmd': { type: 'string', arg: 'DIR', help: 'PKU-MMD recordings (ntu25)' },
    every: { type: 'string', default: '1', arg: 'N', help: 'read every N-th file' },
  },
  examples: ['node dist/scripts/kinect-proportions.js --nucla /data/nucla --pku-mmd /data/pku-mmd'],
});
const every = Number(o.every);
const out: Record<string, Record<string, number>> = {};
if (o.nucla) out['kinect20 (N-UCLA, Kinect v1)'] = measure(nuclaBodies(o.nucla, every), KINECT20);
if (o['pku-mmd']) out['ntu25 (PKU-MMD, Kinect v2)'] = measure(pkuBodies(o['pku-mmd'], every), NTU25);
for (const [name, m] of Object.entries(out)) {
  console.log(name);
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(52)} ${v.toFixed(3)}`);
}
