// A 2D model of Penn Action's joints (penn13) takes pose estimators' keypoints as they come: HTTP predict,
// a stream and `indrnn predict` with `"layout": "coco17"` (YOLO-pose, RTMPose, MoveNet: pixels, y down,
// with or without a score per point), `openpose18`, `openpose25` and `mediapipe33` (image landmarks,
// normalised to the image, with their visibility as the score) answer as the same clip sent in penn13; a layout it cannot map is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { indrnn } from './helpers/cli.js';
import { bodyAt, frameIn } from './helpers/keypoint-body.js';
import { modelDir } from './helpers/models.js';
import { postPredict, startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const T = 40;
/** The clip in a layout: [T][J][2] pixels. */
const clip = (layout: 'penn13' | 'coco17' | 'openpose18' | 'openpose25' | 'mediapipe33') =>
  Array.from({ length: T }, (_, t) => frameIn(layout, bodyAt(t)));

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'penn.onnx': { kind: 'skeleton', name: 'penn', layout: 'penn13', seed: 3, classes: 15 } });
  srv = await startLoopbackServer(dir);
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function predict(body: unknown): Promise<{ label: string; probability: number; topK: unknown[] }> {
  const r = await postPredict(srv.url, 'penn', body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.predictions[0];
}

/** The same answer, up to float32 rounding of the inputs (normalised coordinates are not pixels). */
function sameAnswer(got: { label: string; probability: number }, want: { label: string; probability: number }) {
  assert.equal(got.label, want.label);
  assert.ok(Math.abs(got.probability - want.probability) < 1e-4, `${got.probability} vs ${want.probability}`);
}

describe('a penn13 model takes estimators keypoints', () => {
  it('coco17, openpose18, openpose25 pixels give the answer of the penn13 clip; a score above minScore changes nothing', async () => {
    const want = await predict({ frames: clip('penn13'), topK: 15 });
    for (const layout of ['coco17', 'openpose18', 'openpose25'] as const) {
      assert.deepEqual(await predict({ frames: clip(layout), layout, topK: 15 }), want, layout);
    }
    const scored = clip('coco17').map((f) => f.map(([x, y]) => [x, y, 0.87]));
    assert.deepEqual(await predict({ frames: scored, layout: 'coco17', topK: 15 }), want, '(x, y, score)');
  });

  it('mediapipe33 image landmarks (x, y in [0, 1] of a square image, then visibility) give the same answer', async () => {
    const want = await predict({ frames: clip('penn13') });
    const normalised = clip('mediapipe33').map((f) => f.map(([x, y]) => [x / 640, y / 640, 0.98]));
    sameAnswer(await predict({ frames: normalised, layout: 'mediapipe33' }), want);
  });

  it('refuses a layout it cannot map, naming the field', async () => {
    const r = await postPredict(srv.url, 'penn', { frames: clip('coco17'), layout: 'kinect20' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details.field, 'layout');
    assert.match(r.body.error.message, /no conversion from "kinect20" to the model's layout penn13/);
  });

  it('a stream configured with "layout": "coco17" predicts as HTTP does', async () => {
    const frames = clip('coco17');
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/penn/stream`);
    c.send({ type: 'config', layout: 'coco17' });
    const ack = await c.until((m) => m.type === 'config');
    assert.equal(ack.config.layout, 'coco17');
    for (const f of frames) c.send({ type: 'frames', frames: [f] });
    const preds = await c.predictions(frames.length);
    c.close();
    sameAnswer(preds.at(-1), await predict({ frames: clip('penn13') }));
  });

  it('`indrnn predict --layout openpose25` answers as HTTP does', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'indrnn-pose-'));
    try {
      const input = join(tmp, 'clip.json');
      writeFileSync(input, JSON.stringify({ frames: clip('openpose25') }));
      const cli = indrnn('predict', '--model', join(dir, 'penn.onnx'), '--input', input, '--layout', 'openpose25');
      assert.equal(cli.status, 0, cli.stderr);
      sameAnswer(JSON.parse(cli.stdout), await predict({ frames: clip('penn13') }));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
