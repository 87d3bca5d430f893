// What the MediaPipe -> Kinect mapping's derived joints cost a model trained on Kinect data, and how much
// depth noise (a monocular estimate's weak axis) costs it, measured on real recordings with no webcam:
// N-UCLA's held-out view (Kinect v1) is turned into the MediaPipe landmarks the mapping reads (shoulders,
// elbows, wrists, hips, knees, ankles as they are; ears beside the head; knuckles at the hand; toes at the
// foot), mapped back to kinect20 by src/data/mediapipe.ts, and classified by the model, beside the original
// joints. Optional Gaussian noise on every landmark's depth (z) stands in for MediaPipe's depth errors.
//
//   node dist/scripts/mediapipe-roundtrip.js --nucla DIR [--model models/nucla.onnx] [--view 3] [--z-noise 0,0.05,0.1]
import { Command } from 'commander';
import { mediapipeFramesTo } from '../src/data/mediapipe.js';
import { listNuclaFiles, readNuclaClip } from '../src/data/nucla-reader.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { inputSpecOf } from '../src/predict/input.js';
import { predictSteps, prepareSteps } from '../src/predict/sequence-prediction.js';
import { Rng } from '../src/util/rng.js';

const K = 20; // kinect20 joints
const MP = 33;

/** Kinect v1 joints [T, 20, 3] (Kinect axes) -> the MediaPipe landmarks the mapping reads [T, 33, 3] (MediaPipe axes). */
function toMediapipe(k: Float32Array, T: number, zNoise: number, rng: Rng): Float32Array {
  const out = new Float32Array(T * MP * 3);
  const from: [number, number][] = [
    ...[
      [11, 4],
      [12, 8],
      [13, 5],
      [14, 9],
      [15, 6],
      [16, 10],
      [23, 12],
      [24, 16],
    ],
    ...[
      [25, 13],
      [26, 17],
      [27, 14],
      [28, 18],
      [17, 7],
      [18, 11],
      [19, 7],
      [20, 11],
      [21, 7],
      [22, 11],
    ],
    ...[
      [29, 14],
      [30, 18],
      [31, 15],
      [32, 19],
    ],
  ] as [number, number][];
  for (let t = 0; t < T; t++) {
    const src = (j: number, c: number) => k[(t * K + j) * 3 + c];
    const dst = (l: number, c: number, v: number) => {
      out[(t * MP + l) * 3 + c] = v;
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
      const i = (t * MP + l) * 3;
      // Kinect axes -> MediaPipe's (half a turn about z), then the depth noise.
      out[i] = -out[i];
      out[i + 1] = -out[i + 1];
      if (zNoise > 0) out[i + 2] += zNoise * rng.normal();
    }
  }
  return out;
}

const nested = (x: Float32Array, T: number) =>
  Array.from({ length: T }, (_, t) =>
    Array.from({ length: K }, (_, j) => Array.from(x.subarray((t * K + j) * 3, (t * K + j + 1) * 3))),
  );

const o = new Command()
  .requiredOption('--nucla <dir>', 'N-UCLA clips')
  .option('--model <file>', 'a kinect20 model', 'models/nucla.onnx')
  .option('--view <v>', 'the view to classify (3: nucla held out)', '3')
  .option('--z-noise <list>', 'standard deviations of depth noise, metres', '0,0.05,0.1')
  .parse()
  .opts<{ nucla: string; model: string; view: string; zNoise: string }>();

const model = await IndrnnModel.load(o.model, { provider: 'cpu', threads: 1 });
const m = model.metadata;
const spec = inputSpecOf(m);
const submit = async (x: Float32Array, T: number) => ({ logits: (await model.run(x, T, 1)).logits, B: 1, b: 0 });
const label = async (frames: unknown[]) =>
  (
    (await predictSteps(submit, m, prepareSteps(m, spec, frames, { maxFrames: 1e6, field: 'frames' }), {
      topK: 1,
      timeline: false,
    })) as { index: number }
  ).index;

const clips = listNuclaFiles(o.nucla).filter((f) => f.view === Number(o.view));
const noises = o.zNoise.split(',').map(Number);
const correct = { kinect: 0, mapped: new Array(noises.length).fill(0) as number[] };
const moved: Record<string, number[]> = {};
const names = ['HipCenter', 'Spine', 'ShoulderCenter', 'HandLeft', 'HandRight', 'FootLeft', 'FootRight'];
const idx = [0, 1, 2, 7, 11, 15, 19];
const rng = new Rng(1);
for (const f of clips) {
  const clip = readNuclaClip(f);
  if ((await label(nested(clip.data, clip.T))) === clip.label) correct.kinect++;
  for (let n = 0; n < noises.length; n++) {
    const back = mediapipeFramesTo('kinect20', toMediapipe(clip.data, clip.T, noises[n], rng), clip.T, 1);
    if ((await label(nested(back, clip.T))) === clip.label) correct.mapped[n]++;
    if (noises[n] === 0)
      idx.forEach((j, i) => {
        for (let t = 0; t < clip.T; t++) {
          const a = (t * K + j) * 3;
          moved[names[i]] ??= [];
          moved[names[i]].push(
            Math.hypot(back[a] - clip.data[a], back[a + 1] - clip.data[a + 1], back[a + 2] - clip.data[a + 2]),
          );
        }
      });
  }
}
await model.release();
const pct = (c: number) => `${((100 * c) / clips.length).toFixed(1)} %`;
console.log(`${o.model} on N-UCLA view ${o.view} (${clips.length} clips):`);
console.log(`  Kinect joints as recorded:                         ${pct(correct.kinect)}`);
noises.forEach((z, n) => {
  console.log(
    `  through the MediaPipe mapping, depth noise ${(100 * z).toFixed(0).padStart(2)} cm:   ${pct(correct.mapped[n])}`,
  );
});
console.log('  derived joints vs the recorded ones (median, cm):');
for (const [name, d] of Object.entries(moved)) {
  const s = d.sort((a, b) => a - b);
  console.log(`    ${name.padEnd(15)} ${(100 * s[Math.floor(s.length / 2)]).toFixed(1)}`);
}
