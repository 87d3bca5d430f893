// The cost of the MediaPipe -> Kinect mapping per frame, against the model's own preprocessing of the same
// frames measured in the same run (the machine is shared: read the ratio). A stream or request that says
// "layout": "mediapipe33" pays both.
import { mediapipeFramesTo } from '../src/data/mediapipe.js';
import { defaultPreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { scriptArgs } from './script-args.js';

scriptArgs({
  name: 'bench-mediapipe',
  about:
    "the cost per frame of the MediaPipe -> Kinect mapping, against the model's own preprocessing of the same frames in the same run (read the ratio on a shared machine)",
  options: {},
  examples: ['node dist/scripts/bench-mediapipe.js'],
});

const T = 300;
const B = 2;
const lm = new Float32Array(T * B * 99).map((_, i) => Math.sin(i) * 0.5);
const out = new Float32Array(T * B * 75);
const cfg = defaultPreprocessConfig('ntu25', B);
/** Microseconds per frame of f (which does T frames), after a warm-up. */
function perFrame(f: () => void, n: number): number {
  for (let i = 0; i < 20; i++) f();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n / T;
}
for (let round = 0; round < 3; round++) {
  const convert = perFrame(() => mediapipeFramesTo('ntu25', lm, T, B, out), 200);
  const pre = perFrame(() => preprocessSequence(cfg, out, T), 200);
  console.log(
    `ntu25, ${B} bodies, per frame: mapping ${convert.toFixed(2)} us, preprocessing ${pre.toFixed(2)} us, ratio ${(convert / pre).toFixed(2)}`,
  );
}
