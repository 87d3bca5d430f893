// The MediaPipe -> Kinect mapping (src/data/mediapipe.ts) on constructed poses: known landmarks in, known
// joints out, worked out by hand below from the Kinect proportions the module states.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLayout } from '../src/data/layouts.js';
import {
  bodyPosition,
  KINECT_PROPORTIONS,
  MEDIAPIPE_RECIPES,
  mediapipeBodyTo,
  mediapipeFramesTo,
} from '../src/data/mediapipe.js';
import { createPreprocessState, defaultPreprocessConfig, preprocessFrame } from '../src/data/preprocess.js';
import { Rng } from '../src/util/rng.js';
import { landmarks, MEDIAPIPE_NAMES, tPose } from './helpers/mediapipe-pose.js';

type Target = 'kinect20' | 'ntu25';

function convert(target: Target, lm: Float32Array): Float32Array {
  const out = new Float32Array(getLayout(target).joints.length * 3);
  mediapipeBodyTo(target, lm, 0, out, 0);
  return out;
}

function joint(target: Target, out: Float32Array, name: string): number[] {
  const j = getLayout(target).joints.indexOf(name);
  assert.ok(j >= 0, `${target} has no joint ${name}`);
  return Array.from(out.subarray(j * 3, j * 3 + 3));
}

function assertNear(got: number[], want: number[], what: string, tol = 1e-5): void {
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c] - want[c]) <= tol, `${what}: got [${got}], want [${want}]`);
}

describe('mediapipe33 -> kinect20 and ntu25 on a constructed T-pose', () => {
  // The T-pose (helpers/mediapipe-pose.ts), MediaPipe axes (y down): mid-hips (0, 0, 0), mid-shoulders
  // (0, -0.5, 0), ears at y -0.7, left wrist (0.7, -0.5, 0) with the knuckles 9 cm further out and the
  // elbow 25 cm in, left ankle (0.1, 0.85, 0) 40 cm under the knee, toes 5 cm lower and 15 cm forward.
  // Kinect axes are (-x, -y, z) of these.
  const lm = landmarks(tPose());

  it('landmarks both trackers have are the same points, turned half a turn about z', () => {
    for (const target of ['kinect20', 'ntu25'] as const) {
      const out = convert(target, lm);
      assertNear(joint(target, out, 'ShoulderLeft'), [-0.18, 0.5, 0], `${target} ShoulderLeft`);
      assertNear(joint(target, out, 'ElbowRight'), [0.45, 0.5, 0], `${target} ElbowRight`);
      assertNear(joint(target, out, 'WristLeft'), [-0.7, 0.5, 0], `${target} WristLeft`);
      assertNear(joint(target, out, 'HipRight'), [0.1, 0, 0], `${target} HipRight`);
      assertNear(joint(target, out, 'KneeLeft'), [-0.1, -0.45, 0], `${target} KneeLeft`);
      assertNear(joint(target, out, 'AnkleRight'), [0.1, -0.85, 0], `${target} AnkleRight`);
      assertNear(joint(target, out, 'Head'), [0, 0.7, 0], `${target} Head (mid-ears)`);
    }
    const ntu = convert('ntu25', lm);
    assertNear(joint('ntu25', ntu, 'ThumbLeft'), [-0.75, 0.55, -0.03], 'ThumbLeft');
  });

  it('Kinect v1 centres and spine sit where the tracker puts them relative to the hips and shoulders', () => {
    // kinect20 proportions: mid-hips at -0.175 and mid-shoulders at 0.756 of the way hip centre -> shoulder
    // centre, spine at 0.168: on mid-hips -> mid-shoulders (0.5 m) the hip centre is at 0.175/0.931,
    // the spine at 0.343/0.931, the shoulder centre at 1.175/0.931.
    const out = convert('kinect20', lm);
    assertNear(joint('kinect20', out, 'HipCenter'), [0, 0.5 * (0.175 / 0.931), 0], 'HipCenter');
    assertNear(joint('kinect20', out, 'Spine'), [0, 0.5 * (0.343 / 0.931), 0], 'Spine');
    assertNear(joint('kinect20', out, 'ShoulderCenter'), [0, 0.5 * (1.175 / 0.931), 0], 'ShoulderCenter');
  });

  it('Kinect v2 spine base, spine mid, spine shoulder and neck likewise', () => {
    // ntu25: mid-hips at 0.005, mid-shoulders at 0.898, spine mid at 0.577; the neck 0.343 of the way
    // from the spine shoulder to the head.
    const out = convert('ntu25', lm);
    const ss = 0.5 * (0.995 / 0.893);
    assertNear(joint('ntu25', out, 'SpineBase'), [0, 0.5 * (-0.005 / 0.893), 0], 'SpineBase');
    assertNear(joint('ntu25', out, 'SpineMid'), [0, 0.5 * (0.572 / 0.893), 0], 'SpineMid');
    assertNear(joint('ntu25', out, 'SpineShoulder'), [0, ss, 0], 'SpineShoulder');
    assertNear(joint('ntu25', out, 'Neck'), [0, ss + 0.343 * (0.7 - ss), 0], 'Neck');
  });

  it('hands and hand tips lie a measured fraction of the forearm beyond the wrist, towards the knuckles', () => {
    const v1 = convert('kinect20', lm);
    assertNear(joint('kinect20', v1, 'HandLeft'), [-(0.7 + 0.331 * 0.25), 0.5, 0], 'kinect20 HandLeft');
    assertNear(joint('kinect20', v1, 'HandRight'), [0.7 + 0.331 * 0.25, 0.5, 0], 'kinect20 HandRight');
    const v2 = convert('ntu25', lm);
    assertNear(joint('ntu25', v2, 'HandLeft'), [-(0.7 + 0.266 * 0.25), 0.5, 0], 'ntu25 HandLeft');
    assertNear(joint('ntu25', v2, 'HandTipRight'), [0.7 + (0.266 + 0.307) * 0.25, 0.5, 0], 'ntu25 HandTipRight');
  });

  it('feet lie a measured fraction of the shin beyond the ankle, towards the toes', () => {
    // ankle -> toes (0, 0.05, -0.15) in MediaPipe's axes, unit (0, 0.3162, -0.9487); the shin is 0.4 m.
    const dir = [0, 0.05 / Math.hypot(0.05, 0.15), -0.15 / Math.hypot(0.05, 0.15)];
    for (const [target, f] of [
      ['kinect20', 0.24],
      ['ntu25', 0.332],
    ] as const) {
      const foot = [0.1, 0.85 + f * 0.4 * dir[1], f * 0.4 * dir[2]];
      assertNear(joint(target, convert(target, lm), 'FootLeft'), [-foot[0], -foot[1], foot[2]], `${target} FootLeft`);
    }
  });

  it('the preprocessing sees a person facing the camera upright: its view alignment leaves the body unturned', () => {
    for (const target of ['kinect20', 'ntu25'] as const) {
      const out = convert(target, lm);
      const layout = getLayout(target);
      const cfg = defaultPreprocessConfig(target, 1, { viewAlign: 'full', center: 'first-frame', scaleNorm: false });
      const x = preprocessFrame(createPreprocessState(cfg), out);
      const root = joint(target, out, layout.joints[layout.root[0]]);
      for (let j = 0; j < layout.joints.length; j++)
        for (let c = 0; c < 3; c++)
          assert.ok(Math.abs(x[j * 3 + c] - (out[j * 3 + c] - root[c])) < 1e-5, `${target} ${layout.joints[j]} turned`);
      // Left along -x, up along +y.
      assert.ok(joint(target, x, 'ShoulderLeft')[0] < joint(target, x, 'ShoulderRight')[0], `${target}: left is -x`);
      assert.ok(joint(target, x, 'Head')[1] > joint(target, x, 'KneeLeft')[1], `${target}: head above knees`);
    }
  });

  it('every landmark that makes a joint moves it: recipes name their sources', () => {
    for (const target of ['kinect20', 'ntu25'] as const) {
      for (const r of MEDIAPIPE_RECIPES[target]) {
        const base = convert(target, lm);
        for (const l of r.sources) {
          const moved = Float32Array.from(lm);
          moved[l * 3 + 2] += 0.1;
          const j = getLayout(target).joints.indexOf(r.joint);
          const after = convert(target, moved);
          const shift = Math.hypot(...[0, 1, 2].map((c) => after[j * 3 + c] - base[j * 3 + c]));
          assert.ok(shift > 1e-6, `${target} ${r.joint} does not move with ${MEDIAPIPE_NAMES[l]}`);
        }
      }
    }
  });
});

describe('mediapipe33 mapping: properties', () => {
  /** Rotation matrix (row-major) of angle a about the unit axis u. */
  function rotation(u: number[], a: number): number[] {
    const [x, y, z] = u;
    const c = Math.cos(a);
    const s = Math.sin(a);
    const t = 1 - c;
    return [
      ...[t * x * x + c, t * x * y - s * z, t * x * z + s * y],
      ...[t * x * y + s * z, t * y * y + c, t * y * z - s * x],
      ...[t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ];
  }

  it('commutes with moving the body: a turned and shifted person gives the same joints turned and shifted', () => {
    const rng = new Rng(3);
    const lm = landmarks(tPose());
    for (let k = 0; k < 20; k++) {
      const axis = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)];
      const n = Math.hypot(...axis);
      const R = rotation(
        axis.map((v) => v / n),
        rng.uniform(-Math.PI, Math.PI),
      );
      const shift = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(1, 4)];
      const moved = new Float32Array(lm.length);
      for (let i = 0; i < 33; i++)
        for (let r = 0; r < 3; r++)
          moved[i * 3 + r] =
            R[r * 3] * lm[i * 3] + R[r * 3 + 1] * lm[i * 3 + 1] + R[r * 3 + 2] * lm[i * 3 + 2] + shift[r];
      // In Kinect axes F = diag(-1, -1, 1): the same motion is F R F and F shift.
      const F = [-1, -1, 1];
      for (const target of ['kinect20', 'ntu25'] as const) {
        const a = convert(target, lm);
        const b = convert(target, moved);
        for (let j = 0; j < a.length / 3; j++)
          for (let r = 0; r < 3; r++) {
            let want = F[r] * shift[r];
            for (let c = 0; c < 3; c++) want += F[r] * R[r * 3 + c] * F[c] * a[j * 3 + c];
            assert.ok(
              Math.abs(b[j * 3 + r] - want) < 1e-4,
              `${target} joint ${j} axis ${r}: ${b[j * 3 + r]} vs ${want}`,
            );
          }
      }
    }
  });

  it('an absent body (all zeros) stays absent; frames of several bodies convert body by body', () => {
    const lm = landmarks(tPose());
    const frames = new Float32Array(2 * 2 * 99); // T = 2, B = 2: body 1 absent in frame 0
    frames.set(lm, 0);
    frames.set(lm, 2 * 99);
    frames.set(lm, 3 * 99);
    const out = mediapipeFramesTo('ntu25', frames, 2, 2);
    assert.equal(out.length, 2 * 2 * 75);
    assert.ok(
      out.subarray(75, 150).every((v) => v === 0),
      'the absent body is zeros',
    );
    const one = convert('ntu25', lm);
    for (const k of [0, 2, 3]) assert.deepEqual(Array.from(out.subarray(k * 75, k * 75 + 75)), Array.from(one));
    assert.throws(() => mediapipeFramesTo('ntu25', frames, 3, 2), /expected T\*B\*33\*3 = 594/);
  });

  it('the proportions are the measured ones the docs quote', () => {
    assert.deepEqual(KINECT_PROPORTIONS.kinect20, {
      midHips: -0.175,
      midShoulders: 0.756,
      spine: 0.168,
      hand: 0.331,
      handTip: null,
      foot: 0.24,
      neck: null,
    });
    assert.equal(KINECT_PROPORTIONS.ntu25.spine, 0.577);
  });
});

describe('bodyPosition: where the body is, from the world and the image landmarks', () => {
  const world = landmarks(tPose());
  const hfov = 60;
  const k = 2 * Math.tan((hfov * Math.PI) / 360);
  const aspect = 4 / 3;
  /** Image landmarks of the body at `at`, seen by a pinhole camera (`depth`: each point's own, or one for all). */
  function image(at: number[], perspective: boolean): Float32Array {
    const img = new Float32Array(99);
    for (let i = 0; i < 33; i++) {
      const X = at[0] + world[i * 3];
      const Y = at[1] + world[i * 3 + 1];
      const Z = perspective ? at[2] + world[i * 3 + 2] : at[2];
      img[i * 3] = X / Z / k + 0.5;
      img[i * 3 + 1] = ((Y / Z) * aspect) / k + 0.5;
    }
    return img;
  }

  it('recovers the position exactly when the body is flat to the camera (weak perspective)', () => {
    for (const at of [
      [0, 0, 3],
      [0.4, -0.2, 2.5],
      [-1, 0.3, 5],
    ]) {
      const got = bodyPosition(world, image(at, false), aspect, hfov);
      assert.ok(got, 'a position');
      assertNear(got, at, `at ${at}`, 1e-4);
    }
  });

  it('within a few per cent under full perspective, and not at all from a single point', () => {
    const at = [0.3, -0.1, 2.5];
    const got = bodyPosition(world, image(at, true), aspect, hfov)!;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c] - at[c]) < 0.05 * Math.abs(at[2]), `axis ${c}: ${got}`);
    assert.equal(
      bodyPosition(world, image(at, true), aspect, hfov, (i) => i === 0),
      null,
    );
    assert.equal(bodyPosition(new Float32Array(99), new Float32Array(99).fill(0.5), aspect, hfov), null);
  });
});
