// Bad input never crashes or 500s: every error class is a 4xx (or 503) with the one error shape and a
// message that names the field.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { modelDir, rawFrames, serveApp, skeletonFrames } from './helpers/models.js';

let dir: string;
let s: Awaited<ReturnType<typeof serveApp>>;
before(async () => {
  dir = modelDir({
    'skeleton.onnx': { kind: 'skeleton', name: 'skel' },
    'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 },
  });
  s = await serveApp(dir, {
    batch: { maxDelayMs: 0 },
    options: { maxFrames: 50, maxSequences: 4, maxBodyBytes: 128 * 1024 },
  });
});
after(async () => {
  await s.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  body: unknown;
  model?: string;
  status: number;
  code: string;
  field?: string;
  message?: RegExp;
}

const frames = skeletonFrames(6, 1) as number[][][];
const edit = (f: (x: number[][][]) => void) => {
  const copy = structuredClone(frames);
  f(copy);
  return copy;
};

const cases: Case[] = [
  {
    name: 'missing body fields',
    body: {},
    status: 400,
    code: 'invalid_field',
    field: 'frames',
    message: /exactly one of/,
  },
  {
    name: 'frames and sequences together',
    body: { frames, sequences: [{ frames }] },
    status: 400,
    code: 'invalid_field',
    field: 'frames',
  },
  {
    name: 'unknown field (typo)',
    body: { frames, topk: 3 },
    status: 400,
    code: 'invalid_field',
    message: /unknown field 'topk'/,
  },
  {
    name: 'frames is a string',
    body: { frames: 'abc' },
    status: 400,
    code: 'invalid_field',
    field: 'frames',
    message: /expected array, got string/,
  },
  { name: 'topK is a string', body: { frames, topK: '3' }, status: 400, code: 'invalid_field', field: 'topK' },
  { name: 'topK is 0', body: { frames, topK: 0 }, status: 400, code: 'invalid_field', field: 'topK' },
  {
    name: 'timeline is a number',
    body: { frames, timeline: 1 },
    status: 400,
    code: 'invalid_field',
    field: 'timeline',
  },
  { name: 'body is an array', body: [1, 2], status: 400, code: 'invalid_field', field: '(body)' },
  { name: 'empty sequence', body: { frames: [] }, status: 400, code: 'empty_sequence', field: 'frames' },
  { name: 'empty sequences list', body: { sequences: [] }, status: 400, code: 'invalid_field', field: 'sequences' },
  {
    name: 'an empty sequence in a batch',
    body: { sequences: [{ frames }, { frames: [] }] },
    status: 400,
    code: 'empty_sequence',
    field: 'sequences[1].frames',
  },
  {
    name: 'too many frames',
    body: { frames: skeletonFrames(51, 2) },
    status: 400,
    code: 'too_many_frames',
    field: 'frames',
    message: /51 frames, the limit is 50/,
  },
  {
    name: 'too many sequences',
    body: { sequences: Array.from({ length: 5 }, () => ({ frames })) },
    status: 400,
    code: 'too_many_sequences',
    field: 'sequences',
  },
  {
    name: 'wrong joint count in one frame',
    body: { frames: edit((f) => f[3].splice(17)) },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[3]',
    message: /^frames\[3\] has 17 joints, the model expects 25 \(layout ntu25\)$/,
  },
  {
    name: 'a joint with 2 values',
    body: { frames: edit((f) => f[2][4].pop()) },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[2][4]',
    message: /has 2 values, expected 3/,
  },
  {
    name: 'a string coordinate',
    body: { frames: edit((f) => ((f[1][2] as unknown[])[0] = 'NaN')) },
    status: 400,
    code: 'invalid_field',
    field: 'frames[1][2][0]',
    message: /is a string \("NaN"\), expected a number/,
  },
  {
    name: 'a null coordinate',
    body: { frames: edit((f) => ((f[1][2] as unknown[])[1] = null)) },
    status: 400,
    code: 'invalid_field',
    field: 'frames[1][2][1]',
  },
  {
    name: 'raw rows sent to a skeleton model',
    body: { frames: rawFrames(3, 150, 1) },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[0]',
    message: /row of numbers/,
  },
  {
    name: 'too many bodies',
    body: { frames: skeletonFrames(3, 1, 3) as number[][][][] },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[0]',
    message: /3 bodies, the model takes at most 2/,
  },
  {
    name: 'mixed nesting',
    body: { frames: [frames[0], [frames[1]], frames[2]] },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[1]',
    message: /has 1 joints/,
  },
  {
    name: 'a frame that is a number',
    body: { frames: [frames[0], 7] },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[1]',
  },
  {
    name: 'raw model: wrong row length',
    model: 'rows',
    body: {
      frames: [
        [1, 2, 3, 4, 5, 6],
        [1, 2],
      ],
    },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[1]',
    message: /has 2 values, the model expects 6 per frame/,
  },
  {
    name: 'raw model: joints sent',
    model: 'rows',
    body: {
      frames: [
        [
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ],
      ],
    },
    status: 400,
    code: 'invalid_shape',
    field: 'frames[0][0]',
  },
  {
    name: 'raw model: boolean value',
    model: 'rows',
    body: { frames: [[1, 2, true, 4, 5, 6]] },
    status: 400,
    code: 'invalid_field',
    field: 'frames[0][2]',
  },
  {
    name: 'unknown model',
    model: 'nope',
    body: { frames },
    status: 404,
    code: 'model_not_found',
    message: /no model named 'nope' \(loaded: /,
  },
];

describe('predict: every bad input is a 4xx naming the field', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await request(s.app)
        .post(`/v1/models/${c.model ?? 'skel'}/predict`)
        .send(c.body as object);
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['error']);
      assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'details', 'message']);
      assert.equal(r.body.error.code, c.code);
      if (c.field) assert.equal(r.body.error.details.field, c.field);
      if (c.message) assert.match(r.body.error.message, c.message);
    });
  }

  it('Infinity (JSON 1e999) and NaN-like values', async () => {
    const text = JSON.stringify({ frames: [[1, 2, 3, 4, 5, 6]] }).replace('3', '1e999');
    const r = await request(s.app)
      .post('/v1/models/rows/predict')
      .set('Content-Type', 'application/json')
      .send(text)
      .expect(400);
    assert.equal(r.body.error.code, 'non_finite_value');
    assert.equal(r.body.error.details.field, 'frames[0][2]');
    const neg = await request(s.app)
      .post('/v1/models/rows/predict')
      .set('Content-Type', 'application/json')
      .send(text.replace('1e999', '-1e999'))
      .expect(400);
    assert.match(neg.body.error.message, /-Infinity/);
    const nan = await request(s.app)
      .post('/v1/models/rows/predict')
      .set('Content-Type', 'application/json')
      .send('{"frames": [[1, NaN, 3, 4, 5, 6]]}')
      .expect(400);
    assert.equal(nan.body.error.code, 'invalid_json');
  });

  it('malformed JSON is 400 invalid_json; wrong content type is 415; oversize body is 413', async () => {
    const bad = await request(s.app)
      .post('/v1/models/skel/predict')
      .set('Content-Type', 'application/json')
      .send('{"frames": [')
      .expect(400);
    assert.equal(bad.body.error.code, 'invalid_json');
    const text = await request(s.app)
      .post('/v1/models/skel/predict')
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    assert.equal(text.body.error.code, 'unsupported_media_type');
    assert.equal(text.body.error.details.field, 'Content-Type');
    const form = await request(s.app).post('/v1/models/skel/predict').type('form').send({ frames: '1' }).expect(415);
    assert.equal(form.body.error.code, 'unsupported_media_type');
    const none = await request(s.app).post('/v1/models/skel/predict').expect(415);
    assert.equal(none.body.error.code, 'unsupported_media_type');
    const big = await request(s.app)
      .post('/v1/models/skel/predict')
      .send({ frames: skeletonFrames(200, 3) })
      .expect(413);
    assert.equal(big.body.error.code, 'payload_too_large');
    assert.match(big.body.error.message, /limit is 131072/);
    const empty = await request(s.app)
      .post('/v1/models/skel/predict')
      .set('Content-Type', 'application/json')
      .send('')
      .expect(400);
    assert.equal(empty.body.error.code, 'invalid_field');
  });

  it('unknown route is 404 not_found, a known one with another method 405, in the same shape', async () => {
    const r = await request(s.app).get('/v1/nothing').expect(404);
    assert.equal(r.body.error.code, 'not_found');
    const wrongMethod = await request(s.app).get('/v1/models/skel/predict').expect(405);
    assert.equal(wrongMethod.body.error.code, 'method_not_allowed');
    assert.equal(wrongMethod.headers.allow, 'POST, OPTIONS');
  });

  it('after all that, the server still answers', async () => {
    await request(s.app).post('/v1/models/skel/predict').send({ frames }).expect(200);
    const metrics = await request(s.app).get('/metrics').expect(200);
    assert.doesNotMatch(metrics.text, /status="5\d\d"/);
  });
});
