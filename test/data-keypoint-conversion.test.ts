// Pose estimators' keypoints as a model's joints (src/data/keypoint-conversion.ts, src/predict/
// layout-conversion.ts): one body written in COCO-17, OpenPose COCO-18 and BODY_25 and MediaPipe's 33
// landmarks becomes the same Penn Action body; a layout lacking joints of the model's is refused naming
// them; points at (0, 0) are missing and take their nearest present ancestor's place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keypointFramesTo, keypointMap } from '../src/data/keypoint-conversion.js';
import { getLayout, type LayoutName } from '../src/data/layouts.js';
import { defaultPreprocessConfig } from '../src/data/preprocess.js';
import type { InputSpec } from '../src/predict/input-spec.js';
import { layoutConversion } from '../src/predict/layout-conversion.js';
import { frameIn } from './helpers/keypoint-body.js';

const flat3 = (frame: number[][]) => Float32Array.from(frame.flatMap(([x, y]) => [x, y, 0]));
const PENN = Array.from(flat3(frameIn('penn13')));

function toPenn(layout: LayoutName, frame: number[][]): number[] {
  const map = keypointMap(layout, 'penn13');
  assert.ok(map && !('lacking' in map), layout);
  return Array.from(keypointFramesTo(map, flat3(frame), 1, 1));
}

describe('keypoints by body point (keypoint-conversion.ts)', () => {
  it('COCO-17, OpenPose 18 and 25, and MediaPipe 33 give the same Penn Action body (head = mean of the face)', () => {
    assert.deepEqual(PENN.slice(0, 3), [300, Math.fround(96.8), 0]);
    for (const layout of ['coco17', 'openpose18', 'openpose25', 'mediapipe33'] as const) {
      assert.deepEqual(toPenn(layout, frameIn(layout)), PENN, layout);
    }
  });

  it('a layout that lacks joints of the target says which; a layout it does not know is no conversion', () => {
    assert.deepEqual(keypointMap('coco17', 'openpose25'), {
      lacking: ['LBigToe', 'LSmallToe', 'LHeel', 'RBigToe', 'RSmallToe', 'RHeel'],
    });
    assert.deepEqual(keypointMap('penn13', 'coco17'), {
      lacking: ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear'],
    });
    assert.equal(keypointMap('kinect20', 'penn13'), null);
    assert.equal(keypointMap('coco17', 'kinect20'), null);
    const op18 = keypointMap('coco17', 'openpose18');
    assert.ok(op18 && !('lacking' in op18), 'the neck: the mid-shoulders');
  });

  it('a point at (0, 0) is missing: a joint takes its nearest present ancestor, the head the mean of the body', () => {
    const coco = frameIn('coco17');
    const lost = (names: string[]) => coco.map((p, j) => (names.includes(getLayout('coco17').joints[j]) ? [0, 0] : p));
    const penn = getLayout('penn13').joints;
    const at = (out: number[], name: string) => out.slice(penn.indexOf(name) * 3, penn.indexOf(name) * 3 + 3);
    // A lost wrist sits on its elbow; a lost elbow and wrist on the shoulder.
    let out = toPenn('coco17', lost(['left_wrist', 'right_elbow', 'right_wrist']));
    assert.deepEqual(at(out, 'left_wrist'), at(PENN, 'left_elbow'));
    assert.deepEqual(at(out, 'right_wrist'), at(PENN, 'right_shoulder'));
    assert.deepEqual(at(out, 'right_elbow'), at(PENN, 'right_shoulder'));
    // One face point lost: the head is the mean of the four others.
    out = toPenn('coco17', lost(['nose']));
    assert.deepEqual(at(out, 'head'), [300, Math.fround(96), 0]);
    // The whole face lost: the head (the root) is the mean of the 12 present joints.
    out = toPenn('coco17', lost(['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear']));
    const present = PENN.slice(3);
    const mean = [0, 1].map((c) => present.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / 12);
    assert.deepEqual(
      at(out, 'head').map((v) => Math.round(v * 1000) / 1000),
      [...mean, 0].map((v) => Math.round(Math.fround(v) * 1000) / 1000),
    );
    // Nobody: an absent body (all zeros), as the preprocessing expects.
    out = toPenn('coco17', lost(getLayout('coco17').joints as string[]));
    assert.ok(out.every((v) => v === 0));
  });
});

function spec(layout: string): Extract<InputSpec, { kind: 'skeleton' }> {
  const l = getLayout(layout);
  const preprocess = defaultPreprocessConfig(l, 1);
  return {
    kind: 'skeleton',
    layout,
    bodies: 1,
    joints: l.joints.length,
    dims: l.dims,
    inputSize: l.joints.length * 3,
    preprocess,
  };
}

describe('layoutConversion: the conversions table', () => {
  it('coco17 frames for a penn13 model: read as 17 2D points, converted into the model input', () => {
    const penn = spec('penn13');
    const c = layoutConversion(penn, 'coco17');
    assert.ok(c);
    assert.deepEqual([c.from, c.spec.layout, c.spec.joints, c.spec.dims, c.frameSize], ['coco17', 'coco17', 17, 2, 51]);
    const coco = flat3(frameIn('coco17'));
    const two = new Float32Array(2 * 51);
    two.set(coco, 0);
    two.set(coco, 51);
    assert.deepEqual(Array.from(c.convert(two, 2)), [...PENN, ...PENN]);
    assert.equal(layoutConversion(penn, 'penn13'), null);
    assert.equal(layoutConversion(penn, 'coco17'), c, 'made once per model and layout');
  });

  it('refuses a layout without a conversion, and one that lacks joints of the model, naming them', () => {
    assert.throws(
      () => layoutConversion(spec('kinect20'), 'coco17'),
      (e: Error & { details?: unknown }) =>
        /layout: no conversion from "coco17" to the model's layout kinect20 \(conversions: mediapipe33 -> kinect20, ntu25; coco17, openpose18, openpose25, mediapipe33, penn13 -> penn13, coco17, openpose18, openpose25 \(by body point\)\)/.test(
          e.message,
        ),
    );
    assert.throws(
      () => layoutConversion(spec('openpose25'), 'coco17'),
      (e: Error & { details?: Record<string, unknown> }) => {
        assert.match(
          e.message,
          /layout: "coco17" cannot give the model's layout openpose25: it has no LBigToe, LSmallToe, LHeel, RBigToe, RSmallToe, RHeel \(6 of 25 joints\)/,
        );
        assert.deepEqual(e.details?.lacking, ['LBigToe', 'LSmallToe', 'LHeel', 'RBigToe', 'RSmallToe', 'RHeel']);
        return true;
      },
    );
    assert.throws(() => layoutConversion(spec('penn13'), 'kinect20'), /no conversion from "kinect20"/);
  });

  it('mediapipe33 still becomes the Kinect skeletons, read as 3D world landmarks', () => {
    const c = layoutConversion(spec('kinect20'), 'mediapipe33');
    assert.deepEqual([c?.spec.joints, c?.spec.dims], [33, 3]);
    const p = layoutConversion(spec('penn13'), 'mediapipe33');
    assert.deepEqual([p?.spec.joints, p?.spec.dims], [33, 2]);
  });
});
