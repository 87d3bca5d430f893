// The camera page's pure parts, in Node: the recorder writes takes the trainer's own reader takes (a
// label for a take of one action, a label per frame otherwise, nobody in view as an absent body), and
// ModelFrames gives each model the frames of its layout with the shared mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mediapipeBodyTo } from '../src/data/mediapipe.js';
import { parseUserSample } from '../src/data/user-format.js';
import { cameraFeed, cameraUnsupported, ImageFrames, ModelFrames } from '../src/ui/camera/model-frames.js';
import { MAX_TAKE_FRAMES, Recorder } from '../src/ui/camera/recorder.js';
import { landmarks, tPose } from './helpers/mediapipe-pose.js';

const lm = landmarks(tPose());
const vis = new Float32Array(33).fill(0.97);

describe('camera recordings', () => {
  it('a take of one action has a label; the trainer reads it as mediapipe33', () => {
    const r = new Recorder();
    r.start('take-1', 30);
    for (let t = 0; t < 5; t++) r.add(lm, vis, ' wave ');
    const take = r.stop()!;
    assert.equal(take.label, 'wave');
    assert.equal(take.frameLabels, undefined);
    const s = parseUserSample(JSON.parse(r.toJsonLines()), 'take');
    assert.deepEqual([s.layout.name, s.T, s.bodies, s.joints, s.fps, s.label], ['mediapipe33', 5, 1, 33, 30, 'wave']);
    for (let i = 0; i < 99; i++) assert.ok(Math.abs(s.data[i] - lm[i]) < 1e-4, `landmark value ${i}`);
  });

  it('changing actions give a label per frame; nobody in view is an absent body', () => {
    const r = new Recorder();
    r.start('take-2', 25);
    r.add(lm, vis, '');
    r.add(null, null, 'sit down');
    r.add(lm, vis, 'sit down');
    r.stop();
    const line = r.toJsonLines();
    const json = JSON.parse(line);
    assert.deepEqual(json.frameLabels, [null, 'sit down', 'sit down']);
    assert.equal(json.label, undefined);
    assert.deepEqual(json.visibility[1], Array(33).fill(0));
    const s = parseUserSample(json, 'take');
    assert.ok(
      s.data.subarray(99, 198).every((v) => v === 0),
      'frame 1 has no body',
    );
  });

  it('drops an empty take and stops a take at its limit', () => {
    const r = new Recorder();
    r.start('empty', 30);
    assert.equal(r.stop(), null);
    assert.equal(r.toJsonLines(), '');
    r.start('long', 30);
    let n = 0;
    while (r.add(lm, vis, null)) n++;
    assert.equal(n, MAX_TAKE_FRAMES);
  });
});

describe('camera frames in the model layout', () => {
  it('kinect20 and ntu25 models get the mapped body first and absent bodies after it', () => {
    const f = new ModelFrames('ntu25', 2);
    assert.equal(f.frameSize, 150);
    const want = new Float32Array(75);
    mediapipeBodyTo('ntu25', lm, 0, want, 0);
    const got = f.fill(lm);
    assert.deepEqual(Array.from(got.subarray(0, 75)), Array.from(want));
    assert.ok(got.subarray(75).every((v) => v === 0));
    assert.ok(
      f.fill(null).every((v) => v === 0),
      'nobody in view',
    );
    assert.equal(new ModelFrames('kinect20', 1).frameSize, 60);
    assert.deepEqual(Array.from(new ModelFrames('mediapipe33', 1).fill(lm)), Array.from(lm));
  });

  it('says why a model cannot take the camera', () => {
    assert.equal(cameraUnsupported({ layout: 'kinect20', bodies: 1 }), null);
    assert.match(cameraUnsupported({ layout: 'coco17', bodies: 1 })!, /no conversion from MediaPipe/);
    assert.match(cameraUnsupported({ layout: null, bodies: null })!, /takes no joints/);
    assert.throws(() => new ModelFrames('openpose25', 1), /no conversion/);
  });

  it("2D models take the picture's landmarks (the server maps them); 3D ones the 3D estimate", () => {
    for (const layout of ['penn13', 'coco17', 'openpose18', 'mediapipe33'])
      assert.equal(cameraFeed({ layout, bodies: 1, dims: 2 }), '2d', layout);
    for (const layout of ['kinect20', 'ntu25', 'mediapipe33'])
      assert.equal(cameraFeed({ layout, bodies: 1, dims: 3 }), '3d', layout);
    assert.equal(cameraFeed({ layout: 'penn13', bodies: 1, dims: 3 }), null);
    assert.match(
      cameraUnsupported({ layout: 'openpose25', bodies: 1, dims: 2 })!,
      /^layout openpose25: MediaPipe's landmarks have no .*SmallToe/,
    );
  });

  it('a 2D frame is the 33 picture landmarks in pixels, x and y only (non-square pictures keep proportions)', () => {
    const f = new ImageFrames(1);
    assert.equal(f.frameSize, 66);
    const image = new Float32Array(33 * 3).map((_, i) => (i % 3 === 2 ? -0.3 : 0.25 + (i % 7) / 10));
    const got = f.fill(image, 640, 360);
    for (let j = 0; j < 33; j++) {
      assert.equal(got[j * 2], Math.fround(image[j * 3] * 640));
      assert.equal(got[j * 2 + 1], Math.fround(image[j * 3 + 1] * 360));
    }
    assert.ok(
      f.fill(null, 640, 360).every((v) => v === 0),
      'nobody in view',
    );
  });
});
