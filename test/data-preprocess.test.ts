// Preprocessing invariances (what makes a rotated or moved skeleton the same input), causality and the
// agreement of the streaming and whole-sequence paths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectBodies } from '../src/data/bodies.js';
import {
  createPreprocessState,
  defaultPreprocessConfig,
  parsePreprocessConfig,
  preprocessFrame,
  preprocessSequence,
} from '../src/data/preprocess.js';
import { generateSample } from '../src/data/synth/generate.js';

// A real-looking two-body sequence [T, 2, 25, 3] from the generator (handshaking: both bodies move).
const sel = selectBodies(generateSample(7, { setup: 1, camera: 1, performer: 1, replication: 1, action: 58 }));
const T = sel.T;
const D = 150;

/** Applies p -> R p * s + t to every present joint (absent bodies stay zero). */
function transform(raw: Float32Array, R: number[], s: number, t: number[]): Float32Array {
  const out = raw.slice();
  for (let i = 0; i < raw.length; i += 75 * 1) {
    const absent = raw.subarray(i, i + 75).every((v) => v === 0);
    if (absent) continue;
    for (let k = i; k < i + 75; k += 3) {
      const [x, y, z] = [raw[k], raw[k + 1], raw[k + 2]];
      for (let r = 0; r < 3; r++) out[k + r] = (R[r * 3] * x + R[r * 3 + 1] * y + R[r * 3 + 2] * z) * s + t[r];
    }
  }
  return out;
}

/** The two bodies' slots swapped in frames [from, to) of [T, 2, 25, 3]. */
function swapBodies(raw: Float32Array, from: number, to: number): Float32Array {
  const out = raw.slice();
  for (let t = from; t < to; t++) {
    out.set(raw.subarray(t * D, t * D + D / 2), t * D + D / 2);
    out.set(raw.subarray(t * D + D / 2, (t + 1) * D), t * D);
  }
  return out;
}

const yaw = (a: number) => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
function rotation(ax: number, ay: number, az: number): number[] {
  const mul = (A: number[], B: number[]) =>
    A.map((_, i) => [0, 1, 2].reduce((s, k) => s + A[Math.floor(i / 3) * 3 + k] * B[k * 3 + (i % 3)], 0));
  const rx = [1, 0, 0, 0, Math.cos(ax), -Math.sin(ax), 0, Math.sin(ax), Math.cos(ax)];
  const rz = [Math.cos(az), -Math.sin(az), 0, Math.sin(az), Math.cos(az), 0, 0, 0, 1];
  return mul(rz, mul(yaw(ay), rx));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('preprocess', () => {
  const cfg = defaultPreprocessConfig('ntu25', 2);

  it('turns [T, 2, 25, 3] into [T, 150] frames', () => {
    const x = preprocessSequence(cfg, sel.data, T);
    assert.equal(x.length, T * D);
    assert.equal(sel.ids.filter(Boolean).length, 2);
  });

  it('a skeleton turned about the vertical, moved and scaled gives the same input (yaw alignment)', () => {
    const a = preprocessSequence(cfg, sel.data, T);
    const b = preprocessSequence(cfg, transform(sel.data, yaw(1.1), 1.3, [0.4, -0.2, 1.5]), T);
    assert.ok(maxDiff(a, b) < 1e-4, `max diff ${maxDiff(a, b)}`);
  });

  it("'full' alignment also removes a camera tilt; 'none' keeps it", () => {
    const full = defaultPreprocessConfig('ntu25', 2, { viewAlign: 'full' });
    const R = rotation(0.3, -2, 0.2);
    const moved = transform(sel.data, R, 1, [1, 2, 3]);
    assert.ok(maxDiff(preprocessSequence(full, sel.data, T), preprocessSequence(full, moved, T)) < 1e-4);
    const none = defaultPreprocessConfig('ntu25', 2, { viewAlign: 'none' });
    assert.ok(maxDiff(preprocessSequence(none, sel.data, T), preprocessSequence(none, moved, T)) > 0.1);
  });

  it('feeding frames one by one equals the whole sequence, for every option', () => {
    const lateSecond = swapBodies(sel.data, 0, T);
    lateSecond.fill(0, D / 2, 5 * D); // the sensor's first body absent for 5 frames
    for (const center of ['first-frame', 'per-frame', 'none'] as const) {
      for (const viewAlign of ['none', 'yaw', 'full'] as const) {
        for (const bodyOrder of ['sensor', 'camera-x'] as const) {
          const c = defaultPreprocessConfig('ntu25', 2, { center, viewAlign, scaleNorm: center !== 'none', bodyOrder });
          for (const raw of [sel.data, lateSecond]) {
            const whole = preprocessSequence(c, raw, T);
            const state = createPreprocessState(c);
            for (let t = 0; t < T; t++) {
              const f = preprocessFrame(state, raw.subarray(t * D, (t + 1) * D));
              assert.deepEqual(f, whole.subarray(t * D, (t + 1) * D), `${center}/${viewAlign}/${bodyOrder} frame ${t}`);
            }
          }
        }
      }
    }
  });

  it("bodyOrder 'camera-x': the sensor's order of the two people changes nothing; 'sensor' keeps it", () => {
    const camX = defaultPreprocessConfig('ntu25', 2, { bodyOrder: 'camera-x' });
    const swapped = swapBodies(sel.data, 0, T);
    assert.deepEqual(preprocessSequence(camX, swapped, T), preprocessSequence(camX, sel.data, T));
    assert.ok(maxDiff(preprocessSequence(cfg, swapped, T), preprocessSequence(cfg, sel.data, T)) > 0.1);
    // Body 0 is the one with the smaller root x at the first frame.
    const x = preprocessSequence({ ...camX, viewAlign: 'none', scaleNorm: false }, sel.data, T);
    const first = sel.data[0] < sel.data[75] ? sel.data : swapped;
    assert.ok(Math.abs(x[75] - (first[75] - first[0])) < 1e-5, 'body 1 sits at its x offset from body 0');
  });

  it("bodyOrder 'camera-x' is decided once: a later swap of the sensor's slots swaps the bodies; one alone first is body 0", () => {
    const camX = defaultPreprocessConfig('ntu25', 2, { bodyOrder: 'camera-x' });
    const base = preprocessSequence(camX, sel.data, T);
    const late = swapBodies(sel.data, 20, T); // the sensor swaps its slots from frame 20 on
    const x = preprocessSequence(camX, late, T);
    assert.deepEqual(x.subarray(0, 20 * D), base.subarray(0, 20 * D));
    assert.deepEqual(
      x.subarray(20 * D, 21 * D),
      swapBodies(base, 20, 21).subarray(20 * D, 21 * D),
      'the held order follows the slots',
    );
    const alone = sel.data.slice();
    alone.fill(0, 0, 3 * D); // frames 0-2: nobody; 3-9: only the sensor's second body
    for (let t = 3; t < 10; t++) alone.fill(0, t * D, t * D + D / 2);
    const y = preprocessSequence(camX, alone, T);
    assert.ok(y.subarray(0, 3 * D).every((v) => v === 0));
    assert.ok(
      y.subarray(3 * D, 3 * D + D / 2).some((v) => v !== 0),
      'the one present is body 0',
    );
    assert.ok(
      preprocessSequence(cfg, alone, T)
        .subarray(3 * D, 10 * D)
        .every((v) => v === 0),
      "'sensor' waits for body 0",
    );
  });

  it('is causal: changing later frames leaves earlier outputs unchanged', () => {
    const changed = sel.data.slice();
    for (let i = 30 * D; i < changed.length; i++) if (changed[i] !== 0) changed[i] += 0.5;
    const a = preprocessSequence(cfg, sel.data, T);
    const b = preprocessSequence(cfg, changed, T);
    assert.deepEqual(a.subarray(0, 30 * D), b.subarray(0, 30 * D));
    assert.notDeepEqual(a.subarray(30 * D), b.subarray(30 * D));
  });

  it('centres body 0 at the origin and puts its left along -x at the first frame', () => {
    const x = preprocessSequence(cfg, sel.data, T);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(x[c]) < 1e-6); // root of body 0, frame 0
    const hipL = x.subarray(12 * 3, 12 * 3 + 3);
    const hipR = x.subarray(16 * 3, 16 * 3 + 3);
    assert.ok(hipL[0] < hipR[0], 'left hip is at smaller x');
    assert.ok(Math.abs(hipL[2] - hipR[2]) < 0.05, 'hips level in depth after alignment');
  });

  it('keeps an absent second body at zero and outputs zeros before body 0 appears', () => {
    const one = sel.data.slice();
    for (let t = 0; t < T; t++) one.fill(0, t * D + 75, (t + 1) * D);
    one.fill(0, 0, 2 * D); // no body in the first two frames
    const x = preprocessSequence(cfg, one, T);
    assert.ok(x.subarray(0, 2 * D).every((v) => v === 0));
    for (let t = 2; t < T; t++) assert.ok(x.subarray(t * D + 75, (t + 1) * D).every((v) => v === 0));
    assert.ok(Math.abs(x[2 * D]) < 1e-6, 'frame 2 is the reference frame');
  });

  it('rejects a frame of the wrong size or kind, and a bad config', () => {
    const st = createPreprocessState(cfg);
    assert.throws(() => preprocessFrame(st, new Float32Array(17 * 3)), {
      name: 'RangeError',
      message: 'frame has 51 values, expected B*J*3 = 2*25*3 = 150 (layout ntu25)',
    });
    assert.throws(() => preprocessFrame(st, [1, 2, 3] as unknown as Float32Array), TypeError);
    assert.throws(() => preprocessSequence(cfg, sel.data, T + 1), /expected T\*B\*J\*3/);
    assert.throws(() => parsePreprocessConfig({ ...cfg, center: 'middle' }), /preprocess config: center/);
    assert.throws(() => parsePreprocessConfig({ ...cfg, bodies: '2' }), TypeError);
    assert.throws(() => parsePreprocessConfig({ ...cfg, root: [40] }), /joint 40 is outside layout ntu25/);
    assert.throws(() => parsePreprocessConfig({ ...cfg, bodyOrder: 'tallest' }), /preprocess config: bodyOrder/);
  });

  it('round-trips through JSON (it goes into the model metadata)', () => {
    assert.deepEqual(parsePreprocessConfig(JSON.parse(JSON.stringify(cfg))), cfg);
    const camX = defaultPreprocessConfig('ntu25', 2, { bodyOrder: 'camera-x' });
    assert.deepEqual(parsePreprocessConfig(JSON.parse(JSON.stringify(camX))), camX);
    const coco = defaultPreprocessConfig('coco17', 1);
    assert.deepEqual(coco.root, [11, 12]);
  });
});
