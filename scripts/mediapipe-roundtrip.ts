// What the MediaPipe -> Kinect mapping's derived joints cost a model trained on Kinect data, and how much
// depth noise (a monocular estimate's weak axis) costs it, measured on real recordings with no webcam:
// recorded Kinect skeletons are turned into the MediaPipe landmarks the mapping reads (shoulders, elbows,
// wrists, hips, knees, ankles, thumbs as they are; ears beside the head; knuckles at the hand; toes at the
// foot), mapped back by src/data/mediapipe.ts, and classified by the model, beside the original joints.
// Optional Gaussian noise on every landmark's depth (z) stands in for MediaPipe's depth errors.
import { getLayout } from '../src/data/layouts.js';
import { type MediapipeTarget, mediapipeFramesTo } from '../src/data/mediapipe.js';
import { listNuclaFiles, readNuclaClip } from '../src/data/nucla-reader.js';
import { listPkuRecordings, readPkuActions, readPkuLabels, readPkuSkeleton } from '../src/data/pku-mmd-reader.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { inputSpecOf } from '../src/predict/input.js';
import { predictSteps, prepareSteps } from '../src/predict/sequence-prediction.js';
import { Rng } from '../src/util/rng.js';
import { scriptArgs } from './script-args.js';

const MP = 33;

/** One clip: Kinect joints [T, B, J, 3] and its class index in the model's labels. */
interface Clip {
  data: Float32Array;
  T: number;
  label: number;
}

/** MediaPipe landmark <- Kinect joint (the same index in kinect20 and ntu25 for these). */
function sources(target: MediapipeTarget): [number, number][] {
  const thumbs = target === 'ntu25' ? [22, 24] : [7, 11]; // kinect20 has no thumb: its hand
  return [
    ...[
      [11, 4],
      [12, 8],
      [13, 5],
      [14, 9],
      [15, 6],
      [16, 10],
      [23, 12],
      [24, 16],
      [25, 13],
      [26, 17],
    ],
    ...[
      [27, 14],
      [28, 18],
      [17, 7],
      [18, 11],
      [19, 7],
      [20, 11],
      [21, thumbs[0]],
      [22, thumbs[1]],
    ],
    ...[
      [29, 14],
      [30, 18],
      [31, 15],
      [32, 19],
    ],
  ] as [number, number][];
}

/** Kinect joints [T, B, J, 3] (Kinect axes) -> the MediaPipe landmarks the mapping reads [T, B, 33, 3] (MediaPipe axes). */
function toMediapipe(target: MediapipeTarget, k: Float32Array, T: number, B: number, zNoise: number, rng: Rng) {
  const J = getLayout(target).joints.length;
  const from = sources(target);
  const out = new Float32Array(T * B * MP * 3);
  for (let tb = 0; tb < T * B; tb++) {
    const src = (j: number, c: number) => k[(tb * J + j) * 3 + c];
    if (k.subarray(tb * J * 3, (tb + 1) * J * 3).every((v) => v === 0)) continue; // absent body
    const dst = (l: number, c: number, v: number) => {
      out[(tb * MP + l) * 3 + c] = v;
    };
    for (const [l, j] of from) for (let c = 0; c < 3; c++) dst(l, c, src(j, c));
    // Face: the head joint, the ears 7.5 cm to either side along the shoulders.
    const side = [0, 1, 2].map((c) => src(4, c) - src(8, c));
    const n = Math.hypot(...side) || 1;
    for (let l = 0; l <= 10; l++) for (let c = 0; c < 3; c++) dst(l, c, src(3, c));
    for (let c = 0; c < 3; c++) {
      dst(7, c, src(3, c) + (0.075 * side[c]) / n);
      dst(8, c, src(3, c) - (0.075 * side[c]) / n);
    }
    for (let l = 0; l < MP; l++) {
      const i = (tb * MP + l) * 3;
      // Kinect axes -> MediaPipe's (half a turn about z), then the depth noise.
      out[i] = -out[i];
      out[i + 1] = -out[i + 1];
      if (zNoise > 0) out[i + 2] += zNoise * rng.normal();
    }
  }
  return out;
}

/** [T, B, J, 3] -> nested frames, T x B x J x 3. */
const nested = (x: Float32Array, T: number, B: number, J: number) =>
  Array.from({ length: T }, (_, t) =>
    Array.from({ length: B }, (_, b) =>
      Array.from({ length: J }, (_, j) =>
        Array.from(x.subarray(((t * B + b) * J + j) * 3, ((t * B + b) * J + j + 1) * 3)),
      ),
    ),
  );

function nuclaClips(dir: string, view: number): Clip[] {
  return listNuclaFiles(dir)
    .filter((f) => f.view === view)
    .map((f) => {
      const c = readNuclaClip(f);
      return { data: c.data, T: c.T, label: c.label };
    });
}

/** PKU-MMD's intervals of the model's classes, in recordings `from` and later. */
function pkuClips(dir: string, from: number, labels: readonly string[]): Clip[] {
  const names = readPkuActions(`${dir}/actions.csv`);
  return listPkuRecordings(dir)
    .filter((r) => r.recording >= from)
    .flatMap((r) => {
      const { data } = readPkuSkeleton(r.skeletonPath);
      return readPkuLabels(r.labelPath).flatMap((iv) => {
        const label = labels.indexOf(names.get(iv.label) ?? '');
        if (label < 0) return [];
        const T = iv.end - iv.start + 1;
        return [{ data: data.slice(iv.start * 150, (iv.end + 1) * 150), T, label }];
      });
    });
}

const { values } = scriptArgs({
  name: 'mediapipe-roundtrip',
  about:
    "what the MediaPipe -> Kinect mapping's derived joints, and depth noise, cost a model trained on Kinect data: recorded skeletons turned into MediaPipe landmarks, mapped back and classified beside the originals",
  options: {
    nucla: { type: 'string', arg: 'DIR', help: 'N-UCLA clips (kinect20)' },
    'pku-mmd': { type: 'string', arg: 'DIR', help: 'PKU-MMD recordings (ntu25)' },
    model: { type: 'string', default: 'models/nucla.onnx', arg: 'FILE', help: "a model of the data set's layout" },
    view: { type: 'string', default: '3', arg: 'V', help: 'N-UCLA: the view to classify (3: nucla held out)' },
    'from-recording': {
      type: 'string',
      default: '250',
      arg: 'N',
      help: 'PKU-MMD: recordings from this number on (250: pku-mmd held out)',
    },
    'z-noise': {
      type: 'string',
      default: '0,0.05,0.1',
      arg: 'LIST',
      help: 'standard deviations of depth noise, metres',
    },
  },
  examples: [
    'node dist/scripts/mediapipe-roundtrip.js --nucla /data/nucla --view 3',
    'node dist/scripts/mediapipe-roundtrip.js --pku-mmd /data/pku-mmd --model models/pku-mmd.onnx --from-recording 250',
  ],
});
const o = {
  nucla: values.nucla,
  pkuMmd: values['pku-mmd'],
  model: values.model,
  view: values.view,
  fromRecording: values['from-recording'],
  zNoise: values['z-noise'],
};
if (!o.nucla === !o.pkuMmd) throw new Error('give one of --nucla DIR and --pku-mmd DIR');

const model = await IndrnnModel.load(o.model, { provider: 'cpu', threads: 1 });
const m = model.metadata;
const spec = inputSpecOf(m);
const target = (o.nucla ? 'kinect20' : 'ntu25') as MediapipeTarget;
if (spec.kind !== 'skeleton' || spec.layout !== target) throw new Error(`${o.model}: expected a ${target} model`);
const B = spec.bodies;
const J = spec.joints;
const submit = async (x: Float32Array, T: number) => ({ logits: (await model.run(x, T, 1)).logits, B: 1, b: 0 });
const label = async (frames: unknown[]) =>
  (
    (await predictSteps(submit, m, prepareSteps(m, spec, frames, { maxFrames: 1e6, field: 'frames' }), {
      topK: 1,
      timeline: false,
    })) as { index: number }
  ).index;

const clips = o.nucla
  ? nuclaClips(o.nucla, Number(o.view))
  : pkuClips(
      o.pkuMmd!,
      Number(o.fromRecording),
      m.labels.map((l) => l.name),
    );
const noises = o.zNoise.split(',').map(Number);
const correct = { kinect: 0, mapped: new Array(noises.length).fill(0) as number[] };
const derived = getLayout(target).joints.filter((name) => /Center|Spine|Neck|^Hand|Foot/.test(name));
const moved: Record<string, number[]> = {};
const rng = new Rng(1);
for (const clip of clips) {
  if ((await label(nested(clip.data, clip.T, B, J))) === clip.label) correct.kinect++;
  for (let n = 0; n < noises.length; n++) {
    const back = mediapipeFramesTo(target, toMediapipe(target, clip.data, clip.T, B, noises[n], rng), clip.T, B);
    if ((await label(nested(back, clip.T, B, J))) === clip.label) correct.mapped[n]++;
    if (noises[n] !== 0) continue;
    for (const name of derived) {
      const j = getLayout(target).joints.indexOf(name);
      moved[name] ??= [];
      for (let tb = 0; tb < clip.T * B; tb++) {
        const a = (tb * J + j) * 3;
        if (clip.data[a] === 0 && clip.data[a + 1] === 0 && clip.data[a + 2] === 0) continue;
        moved[name].push(
          Math.hypot(back[a] - clip.data[a], back[a + 1] - clip.data[a + 1], back[a + 2] - clip.data[a + 2]),
        );
      }
    }
  }
}
await model.release();
const pct = (c: number) => `${((100 * c) / clips.length).toFixed(1)} %`;
console.log(
  `${o.model} on ${o.nucla ? `N-UCLA view ${o.view}` : `PKU-MMD recordings ${o.fromRecording}+`} (${clips.length} clips):`,
);
console.log(`  Kinect joints as recorded:                         ${pct(correct.kinect)}`);
noises.forEach((z, n) => {
  console.log(
    `  through the MediaPipe mapping, depth noise ${(100 * z).toFixed(0).padStart(2)} cm:   ${pct(correct.mapped[n])}`,
  );
});
console.log('  derived joints vs the recorded ones (median, cm):');
for (const [name, d] of Object.entries(moved)) {
  const sorted = d.sort((a, b) => a - b);
  console.log(`    ${name.padEnd(15)} ${(100 * sorted[Math.floor(sorted.length / 2)]).toFixed(1)}`);
}
