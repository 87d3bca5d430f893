// HTTP predict reads a plain JSON body's frames straight from its bytes (src/predict/frames-text.ts) and
// parses every other body as Express's JSON parser did: the same predictions either way, and the same
// answers to bodies that are not plain (a BOM, an empty body, another charset, broken JSON, bad frames).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { modelDir, rawFrames, skeletonFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 1, arch: 'residual', depth: 1 },
    'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
  });
  srv = await startLoopbackServer(dir, { batch: { maxBatch: 8, maxDelayMs: 0, maxQueue: 64 } });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function post(model: string, body: string | Buffer, type = 'application/json') {
  const r = await fetch(`${srv.url}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': type },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: r.status, body: (await r.json()) as any };
}

test('a plain body and the same frames in the general form give the same predictions', async () => {
  for (const [model, frames] of [
    ['skel', skeletonFrames(12, 3)],
    ['skel', skeletonFrames(7, 4, 2)],
    ['rows', rawFrames(9, 6, 5)],
  ] as const) {
    const plain = await post(model, JSON.stringify({ frames, topK: 3, timeline: true }));
    // A sequences body is not the plain form: JSON.parse and the schema read it.
    const general = await post(model, JSON.stringify({ sequences: [{ frames }], topK: 3, timeline: true }));
    assert.equal(plain.status, 200, JSON.stringify(plain.body));
    assert.deepEqual(plain.body.predictions, general.body.predictions, model);
  }
});

test('bodies that are not plain are answered as before', async () => {
  const frames = skeletonFrames(5, 1);
  const ok = await post('skel', JSON.stringify({ frames }));
  // A byte order mark (Express's decoder drops it), a UTF-8 charset, spaces: the same prediction.
  const bom = await post(
    'skel',
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ frames }))]),
  );
  assert.deepEqual(bom.body.predictions, ok.body.predictions);
  const charset = await post('skel', JSON.stringify({ frames }, null, 2), 'application/json; charset=UTF-8');
  assert.deepEqual(charset.body.predictions, ok.body.predictions);
  // Broken JSON is refused before the model is looked up, as by the JSON parser in front of the route.
  const broken = await post('nope', '{"frames": [');
  assert.equal(broken.status, 400);
  assert.equal(broken.body.error.code, 'invalid_json');
  assert.match(broken.body.error.message, /^the request body is not valid JSON: /);
  // An empty body is {} to Express's parser: no frames.
  const empty = await post('skel', '');
  assert.equal(empty.status, 400);
  assert.match(empty.body.error.message, /frames/);
  // Frames the model refuses: the error names the element, as before.
  const bad = JSON.parse(JSON.stringify(frames));
  bad[2][4] = [1, 2];
  const shape = await post('skel', JSON.stringify({ frames: bad }));
  assert.equal(shape.status, 400);
  assert.equal(shape.body.error.details?.field ?? shape.body.error.field, 'frames[2][4]');
  // An option out of range: named by the schema.
  const topK = await post('skel', JSON.stringify({ frames, topK: 0 }));
  assert.equal(topK.status, 400);
  assert.match(JSON.stringify(topK.body.error), /topK/);
});
