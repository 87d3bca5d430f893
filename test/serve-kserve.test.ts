// KServe v2 / Triton JSON endpoints: metadata, readiness, inference equal to a direct model.run, state
// passed back through h0, and their errors.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Rng } from '../src/util/rng.js';
import { modelDir, serveApp } from './helpers/models.js';

let dir: string;
let s: Awaited<ReturnType<typeof serveApp>>;
before(async () => {
  dir = modelDir({
    'raw.onnx': { kind: 'raw', name: 'rows', version: '2', inputSize: 4, hiddenSize: 8, depth: 2, classes: 3 },
  });
  s = await serveApp(dir, { options: { maxFrames: 100, maxSequences: 8 } });
});
after(async () => {
  await s.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const tensor = (T: number, B: number, D: number, seed: number) =>
  Array.from(new Rng(seed).fillUniform(new Float32Array(T * B * D), -1, 1));
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `element ${i}: ${a[i]} vs ${b[i]}`);
};

describe('KServe v2', () => {
  it('GET /v2, /v2/models/{name}, versions and readiness', async () => {
    assert.equal((await request(s.app).get('/v2').expect(200)).body.name, 'indrnn');
    const m = await request(s.app).get('/v2/models/rows').expect(200);
    assert.deepEqual(m.body, {
      name: 'rows',
      versions: ['2'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, -1, 4] },
        { name: 'h0', datatype: 'FP32', shape: [2, -1, 8] },
      ],
      outputs: [
        { name: 'logits', datatype: 'FP32', shape: [-1, -1, 3] },
        { name: 'hT', datatype: 'FP32', shape: [2, -1, 8] },
      ],
    });
    await request(s.app).get('/v2/models/rows/versions/2').expect(200);
    assert.equal(
      (await request(s.app).get('/v2/models/rows/versions/9').expect(404)).headers['x-error-code'],
      'model_not_found',
    );
    assert.equal((await request(s.app).get('/v2/models/rows/ready').expect(200)).body.ready, true);
    const missing = await request(s.app).get('/v2/models/zzz').expect(404);
    assert.deepEqual(missing.body, { error: "no model named 'zzz' (loaded: rows)" }, 'the protocol error shape');
    assert.equal(missing.headers['x-error-code'], 'model_not_found');
  });

  it('POST infer equals model.run; nested data accepted; h0 continues a sequence; outputs filter', async () => {
    const [T, B, D] = [5, 2, 4];
    const x = tensor(T, B, D, 1);
    const r = await request(s.app)
      .post('/v2/models/rows/infer')
      .send({ id: 'req-1', inputs: [{ name: 'x', shape: [T, B, D], datatype: 'FP32', data: x }] })
      .expect(200);
    assert.equal(r.body.model_name, 'rows');
    assert.equal(r.body.model_version, '2');
    assert.equal(r.body.id, 'req-1');
    const direct = await s.registry.get('rows')!.model.run(Float32Array.from(x), T, B);
    const [logits, hT] = r.body.outputs;
    assert.deepEqual([logits.name, logits.datatype, logits.shape], ['logits', 'FP32', [T, B, 3]]);
    assert.deepEqual([hT.name, hT.shape], ['hT', [2, B, 8]]);
    close(logits.data, direct.logits);
    close(hT.data, direct.hT);

    // The same x nested [T][B][D], and in two chunks with the state passed back: same logits.
    const nested = Array.from({ length: T }, (_, t) =>
      Array.from({ length: B }, (_, b) => x.slice((t * B + b) * D, (t * B + b + 1) * D)),
    );
    const n = await request(s.app)
      .post('/v2/models/rows/infer')
      .send({ inputs: [{ name: 'x', shape: [T, B, D], datatype: 'FP32', data: nested }] })
      .expect(200);
    close(n.body.outputs[0].data, direct.logits);
    const first = await request(s.app)
      .post('/v2/models/rows/infer')
      .send({ inputs: [{ name: 'x', shape: [2, B, D], datatype: 'FP32', data: x.slice(0, 2 * B * D) }] })
      .expect(200);
    const rest = await request(s.app)
      .post('/v2/models/rows/versions/2/infer')
      .send({
        inputs: [
          { name: 'x', shape: [3, B, D], datatype: 'FP32', data: x.slice(2 * B * D) },
          { name: 'h0', shape: [2, B, 8], datatype: 'FP32', data: first.body.outputs[1].data },
        ],
        outputs: [{ name: 'logits' }],
      })
      .expect(200);
    assert.equal(rest.body.outputs.length, 1);
    close([...first.body.outputs[0].data, ...rest.body.outputs[0].data], direct.logits);
  });

  const x = (shape: number[], data: unknown[] = tensor(shape[0], shape[1], shape[2], 3)) => ({
    name: 'x',
    shape,
    datatype: 'FP32',
    data,
  });
  const bad: [string, unknown, string, RegExp][] = [
    ['no inputs', { inputs: [] }, 'invalid_field', /needs the input tensor x/],
    [
      'x missing',
      { inputs: [{ name: 'h0', shape: [2, 1, 8], datatype: 'FP32', data: new Array(16).fill(0) }] },
      'invalid_field',
      /x \[T, B, 4\] is missing/,
    ],
    [
      'unknown input',
      { inputs: [{ ...x([1, 1, 4]), name: 'input_1' }] },
      'invalid_field',
      /inputs\[0\]\.name is 'input_1'/,
    ],
    [
      'INT32',
      { inputs: [{ ...x([1, 1, 4]), datatype: 'INT32' }] },
      'invalid_field',
      /datatype is 'INT32', expected FP32/,
    ],
    ['wrong D', { inputs: [x([1, 1, 5])] }, 'invalid_shape', /has 5 values per frame; x is \[T, B, 4\]/],
    ['rank 2', { inputs: [{ ...x([1, 1, 4]), shape: [1, 4] }] }, 'invalid_shape', /rank 2/],
    [
      'data count',
      { inputs: [x([2, 1, 4], [1, 2, 3])] },
      'invalid_shape',
      /inputs\[0\]\.data has 3 values, shape \[2, 1, 4\] needs 8/,
    ],
    [
      'string in data',
      { inputs: [x([1, 1, 4], [1, 2, 'a', 4])] },
      'invalid_field',
      /inputs\[0\]\.data\[2\] is a string/,
    ],
    ['T = 0', { inputs: [x([0, 1, 4], [])] }, 'empty_sequence', /T = 0/],
    ['T too large', { inputs: [x([101, 1, 4], [])] }, 'too_many_frames', /101 frames, the limit is 100/],
    ['B too large', { inputs: [x([1, 9, 4], [])] }, 'too_many_sequences', /B = 9/],
    [
      'h0 batch mismatch',
      { inputs: [x([1, 1, 4]), { name: 'h0', shape: [2, 2, 8], datatype: 'FP32', data: new Array(32).fill(0) }] },
      'invalid_shape',
      /B = 2, but x has B = 1/,
    ],
    [
      'unknown output',
      { inputs: [x([1, 1, 4])], outputs: [{ name: 'probs' }] },
      'invalid_field',
      /outputs\[0\]\.name is 'probs'/,
    ],
  ];
  for (const [name, body, code, message] of bad) {
    it(`infer error: ${name}`, async () => {
      const r = await request(s.app)
        .post('/v2/models/rows/infer')
        .send(body as object)
        .expect(400);
      assert.equal(r.headers['x-error-code'], code);
      assert.deepEqual(Object.keys(r.body), ['error'], 'the protocol error shape');
      assert.match(r.body.error, message);
      assert.match(r.body.error, /^(inputs|outputs)\b/, 'the message starts with the field');
    });
  }

  it('infer: Infinity is non_finite_value, wrong content type 415, unknown model 404', async () => {
    const text = JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    }).replace('[1,2,3,4]', '[1,2,1e999,4]');
    const inf = await request(s.app)
      .post('/v2/models/rows/infer')
      .set('Content-Type', 'application/json')
      .send(text)
      .expect(400);
    assert.equal(inf.headers['x-error-code'], 'non_finite_value');
    assert.match(inf.body.error, /^inputs\[0\]\.data\[2\] /);
    await request(s.app).post('/v2/models/rows/infer').set('Content-Type', 'text/csv').send('1,2').expect(415);
    await request(s.app).post('/v2/models/nope/infer').send({ inputs: [] }).expect(404);
  });
});
