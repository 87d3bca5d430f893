// KServe v2 as written: 405 with Allow for a known path and another method, several versions of a model
// (Triton layout beside flat files, the latest by default), and the model repository extension (index,
// load, unload) with its guards: the token, names that cannot leave the model directory, bounded lengths.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { modelDir, serveApp, testModelBytes } from './helpers/models.js';

let dir: string;
let s: Awaited<ReturnType<typeof serveApp>>;
const TOKEN = 'ops-token';
const auth = { Authorization: `Bearer ${TOKEN}` };
const raw = (seed: number, version = '1') =>
  testModelBytes({ kind: 'raw', name: 'ignored', version, seed, inputSize: 4, hiddenSize: 8, classes: 3 });
const x = {
  name: 'x',
  shape: [3, 1, 4],
  datatype: 'FP32',
  data: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, 1, -1, 0],
};

before(async () => {
  dir = modelDir({ 'flat.onnx': { kind: 'raw', name: 'flat', inputSize: 4, hiddenSize: 8, classes: 3 } });
  // Triton layout: the directories name the model ('rows') and its versions (2 and 10: 10 is the latest).
  for (const [version, seed] of [
    ['2', 2],
    ['10', 10],
  ] as const) {
    mkdirSync(join(dir, 'rows', version), { recursive: true });
    writeFileSync(join(dir, 'rows', version, 'model.onnx'), raw(seed));
  }
  s = await serveApp(dir, { options: { token: TOKEN, modelControl: 'explicit' } });
});
after(async () => {
  await s.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('405 method not allowed', () => {
  it('a known path with another method: 405, Allow, the protocol error body; OPTIONS: Allow', async () => {
    const r = await request(s.app).get('/v2/models/rows/infer').set(auth).expect(405);
    assert.equal(r.headers.allow, 'POST, OPTIONS');
    assert.equal(r.headers['x-error-code'], 'method_not_allowed');
    assert.deepEqual(Object.keys(r.body), ['error']);
    const live = await request(s.app).post('/v2/health/live').set(auth).send({}).expect(405);
    assert.equal(live.headers.allow, 'GET, HEAD, OPTIONS');
    const v1 = await request(s.app).delete('/v1/models/flat').set(auth).expect(405);
    assert.equal(v1.body.error.code, 'method_not_allowed', 'our own error shape outside /v2');
    const opts = await request(s.app).options('/v2/models/rows/infer').set(auth).expect(200);
    assert.equal(opts.headers.allow, 'POST');
    await request(s.app).get('/v2/no/such/route').set(auth).expect(404);
  });
});

describe('versions', () => {
  it('the Triton layout serves every version, the latest by default; the metadata lists them', async () => {
    const meta = await request(s.app).get('/v2/models/rows').set(auth).expect(200);
    assert.deepEqual(meta.body.versions, ['2', '10']);
    const latest = await request(s.app)
      .post('/v2/models/rows/infer')
      .set(auth)
      .send({ inputs: [x] })
      .expect(200);
    assert.equal(latest.body.model_version, '10');
    const v2 = await request(s.app)
      .post('/v2/models/rows/versions/2/infer')
      .set(auth)
      .send({ inputs: [x] })
      .expect(200);
    assert.equal(v2.body.model_version, '2');
    // Each version answers with its own weights: the same as running that version's model directly.
    for (const [body, version] of [
      [latest.body, '10'],
      [v2.body, '2'],
    ] as const) {
      const direct = await s.registry.get('rows', version)!.model.run(Float32Array.from(x.data), 3, 1);
      const logits = body.outputs[0].data as number[];
      for (let i = 0; i < logits.length; i++) assert.ok(Math.abs(logits[i] - direct.logits[i]) < 1e-5);
    }
    assert.notDeepEqual(latest.body.outputs[0].data, v2.body.outputs[0].data, 'two different models');
    const missing = await request(s.app).get('/v2/models/rows/versions/3').set(auth).expect(404);
    assert.match(missing.body.error, /no version '3' \(served: 2, 10\)/);
    const info = await request(s.app).get('/v1/models/rows').set(auth).expect(200);
    assert.equal(info.body.version, '10');
    assert.equal(info.body.file, join('rows', '10', 'model.onnx'));
  });
});

describe('model repository extension', () => {
  it('index lists every model; unload stops one, load brings it back; the server advertises the extension', async () => {
    const server = await request(s.app).get('/v2').set(auth).expect(200);
    assert.deepEqual(server.body.extensions, ['model_repository']);
    const index = await request(s.app).post('/v2/repository/index').set(auth).expect(200);
    assert.deepEqual(index.body, [
      { name: 'flat', version: '1', state: 'READY', reason: '' },
      { name: 'rows', version: '2', state: 'READY', reason: '' },
      { name: 'rows', version: '10', state: 'READY', reason: '' },
    ]);
    const unloaded = await request(s.app).post('/v2/repository/models/rows/unload').set(auth).send({}).expect(200);
    assert.deepEqual(unloaded.body, { name: 'rows', state: 'UNAVAILABLE', versions: [] });
    await request(s.app)
      .post('/v2/models/rows/infer')
      .set(auth)
      .send({ inputs: [x] })
      .expect(404);
    const after = await request(s.app).post('/v2/repository/index').set(auth).send({ ready: false }).expect(200);
    assert.ok(after.body.some((r: any) => r.name === 'rows' && r.state === 'UNAVAILABLE' && r.reason === 'unloaded'));
    const ready = await request(s.app).post('/v2/repository/index').set(auth).send({ ready: true }).expect(200);
    assert.deepEqual(
      ready.body.map((r: any) => r.name),
      ['flat'],
    );
    // A rescan (a file changed meanwhile) leaves an unloaded model out.
    await s.registry.refresh();
    assert.equal(s.registry.get('rows'), undefined);
    const loaded = await request(s.app).post('/v2/repository/models/rows/load').set(auth).expect(200);
    assert.deepEqual(loaded.body, { name: 'rows', state: 'READY', versions: ['2', '10'] });
    await request(s.app)
      .post('/v2/models/rows/infer')
      .set(auth)
      .send({ inputs: [x] })
      .expect(200);
  });

  it('load of a broken model is a 400 with the reason; of an unknown one 404; the old version keeps serving', async () => {
    const d = modelDir({ 'a.onnx': { kind: 'raw', name: 'a', inputSize: 4 } });
    const app = await serveApp(d, { options: { modelControl: 'explicit' } });
    try {
      writeFileSync(join(d, 'a.onnx'), 'not a model any more');
      const r = await request(app.app).post('/v2/repository/models/a/load').expect(400);
      assert.equal(r.headers['x-error-code'], 'model_load_failed');
      assert.match(r.body.error, /could not be loaded \(still serving version 1\)/);
      await request(app.app)
        .post('/v2/models/a/infer')
        .send({ inputs: [{ name: 'x', shape: [1, 1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] })
        .expect(200);
      await request(app.app).post('/v2/repository/models/nothing-here/load').expect(404);
      await request(app.app).post('/v2/repository/models/nothing-here/unload').expect(404);
    } finally {
      await app.registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('load and unload are refused (403) unless model control is explicit; the index stays', async () => {
    const d = modelDir({ 'a.onnx': { kind: 'raw', name: 'a', inputSize: 4 } });
    const app = await serveApp(d);
    try {
      for (const op of ['load', 'unload']) {
        const r = await request(app.app).post(`/v2/repository/models/a/${op}`).expect(403);
        assert.equal(r.headers['x-error-code'], 'forbidden');
        assert.match(r.body.error, /--model-control explicit/);
      }
      assert.equal((await request(app.app).post('/v2/repository/index').expect(200)).body[0].state, 'READY');
      assert.deepEqual(app.registry.names, ['a']);
    } finally {
      await app.registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('needs the token; names cannot leave the model directory; lengths are bounded; bodies are checked', async () => {
    for (const path of [
      '/v2/repository/index',
      '/v2/repository/models/rows/load',
      '/v2/repository/models/rows/unload',
    ]) {
      const r = await request(s.app).post(path).expect(401);
      assert.equal(r.headers['x-error-code'], 'unauthorized', path);
    }
    for (const name of ['..', '%2e%2e', '..%2F..%2Fetc', '%2Fetc%2Fpasswd', '.hidden', 'a%00b']) {
      const r = await request(s.app).post(`/v2/repository/models/${name}/load`).set(auth);
      assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status}`);
      assert.equal(typeof r.body.error, 'string', name);
    }
    const long = await request(s.app)
      .post(`/v2/repository/models/${'a'.repeat(5000)}/load`)
      .set(auth)
      .expect(400);
    assert.match(long.body.error, /5000 characters, at most 128/);
    const longVersion = await request(s.app)
      .get(`/v2/models/rows/versions/${'9'.repeat(100)}`)
      .set(auth)
      .expect(400);
    assert.equal(longVersion.headers['x-error-code'], 'invalid_request');
    const v1 = await request(s.app)
      .get(`/v1/models/${'n'.repeat(200)}`)
      .set(auth)
      .expect(400);
    assert.equal(v1.body.error.details.field, 'name');
    const bad = await request(s.app)
      .post('/v2/repository/models/rows/load')
      .set(auth)
      .send({ repository_name: 1 })
      .expect(400);
    assert.match(bad.body.error, /^repository_name: /);
    await request(s.app)
      .post('/v2/repository/index')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"ready": tru')
      .expect(400);
    await request(s.app).post('/v2/repository/index').set(auth).set('Content-Type', 'text/plain').send('x').expect(415);
    assert.deepEqual(s.registry.versions('rows'), ['2', '10'], 'nothing happened to the served models');
  });

  it('the OpenAPI document lists the versioned and repository routes with the protocol error body', async () => {
    const doc = (await request(s.app).get('/openapi.json').expect(200)).body;
    for (const path of [
      '/v2/models/{name}/versions/{version}',
      '/v2/models/{name}/versions/{version}/ready',
      '/v2/models/{name}/versions/{version}/infer',
      '/v2/repository/index',
      '/v2/repository/models/{name}/load',
      '/v2/repository/models/{name}/unload',
    ])
      assert.ok(doc.paths[path], path);
    const infer = doc.paths['/v2/models/{name}/infer'].post;
    assert.equal(infer.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/V2Error');
    assert.equal(
      doc.paths['/v1/models/{name}/predict'].post.responses['400'].content['application/json'].schema.$ref,
      '#/components/schemas/Error',
    );
  });
});
