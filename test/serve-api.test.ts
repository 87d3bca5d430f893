// The HTTP API in-process (supertest, no open port): every route, answers equal to classPrediction on a
// direct model.run, both kinds of model (skeleton joints with preprocessing, raw rows), auth, headers,
// the OpenAPI document and metrics after traffic.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { defaultPreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { gatherFrames, sampleSegments } from '../src/data/sampling.js';
import { classPrediction, regressionPrediction } from '../src/predict/result.js';
import { modelDir, rawFrames, serveApp, skeletonFrames } from './helpers/models.js';

type Served = Awaited<ReturnType<typeof serveApp>>;

let dir: string;
let s: Served;
before(async () => {
  dir = modelDir({
    'skeleton.onnx': { kind: 'skeleton', name: 'skel', version: '3', seed: 1, arch: 'residual', depth: 1 },
    'raw.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
    'adding.onnx': { kind: 'regression', name: 'adding', seed: 3, inputSize: 2 },
    'segments.onnx': {
      kind: 'skeleton',
      name: 'seg',
      seed: 4,
      metadata: { sampling: JSON.stringify({ kind: 'segments', segments: 5 }) },
    },
  });
  s = await serveApp(dir, { batch: { maxDelayMs: 0 } });
});
after(async () => {
  await s.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw joints [T][J][3] or [T][B][J][3] -> the model's input [T, 150], as the trainer would. */
function skeletonInput(frames: number[][][] | number[][][][]): Float32Array {
  const T = frames.length;
  const raw = new Float32Array(T * 2 * 25 * 3);
  frames.forEach((f, t) => {
    const bodies = Array.isArray(f[0][0]) ? (f as number[][][]) : [f as number[][]];
    bodies.forEach((b, bi) => {
      b.forEach((j, ji) => {
        raw.set(j, ((t * 2 + bi) * 25 + ji) * 3);
      });
    });
  });
  return preprocessSequence(defaultPreprocessConfig('ntu25', 2), raw, T);
}

/** JSON round trip, as the HTTP answer went through it. */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** "METHOD /path/{param}" for every route the Express app registered (its routers walked). */
function servedRoutes(app: { router: { stack: any[] } }): string[] {
  const walk = (stack: any[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.route)
        return Object.keys(layer.route.methods).map(
          (m) => `${m.toUpperCase()} ${String(layer.route.path).replace(/:(\w+)/g, '{$1}')}`,
        );
      return layer.handle?.stack ? walk(layer.handle.stack) : [];
    });
  return walk(app.router.stack);
}

describe('health, readiness, metadata', () => {
  it('GET /healthz and /v2/health/live: alive (KServe: {"live": true})', async () => {
    assert.deepEqual((await request(s.app).get('/healthz').expect(200)).body, { status: 'ok' });
    assert.deepEqual((await request(s.app).get('/v2/health/live').expect(200)).body, { live: true });
  });

  it('GET /readyz and /v2/health/ready: 200 with the models; 503 when none or draining', async () => {
    const r = await request(s.app).get('/readyz').expect(200);
    assert.equal(r.body.status, 'ready');
    assert.deepEqual([...r.body.models].sort(), ['adding', 'rows', 'seg', 'skel']);
    assert.deepEqual((await request(s.app).get('/v2/health/ready').expect(200)).body, { ready: true });
    s.state.draining = true;
    try {
      const r = await request(s.app).get('/readyz').expect(503);
      assert.equal(r.body.status, 'shutting_down');
      assert.deepEqual((await request(s.app).get('/v2/health/ready').expect(503)).body, { ready: false });
      const v1 = await request(s.app).get('/v1/models').expect(503);
      assert.equal(v1.body.error.code, 'shutting_down');
      assert.equal(v1.headers.connection, 'close');
    } finally {
      s.state.draining = false;
    }
    const registry = s.state.registry;
    s.state.registry = null;
    try {
      assert.equal((await request(s.app).get('/readyz').expect(503)).body.status, 'not_ready');
      assert.equal((await request(s.app).get('/v1/models').expect(503)).body.error.code, 'not_ready');
    } finally {
      s.state.registry = registry;
    }
  });

  it('GET /v1/models and /v1/models/{name}: labels, layout, shapes, provider', async () => {
    const list = await request(s.app).get('/v1/models').expect(200);
    assert.equal(list.body.models.length, 4);
    const r = await request(s.app).get('/v1/models/skel').expect(200);
    const m = r.body;
    assert.equal(m.name, 'skel');
    assert.equal(m.version, '3');
    assert.equal(m.file, 'skeleton.onnx');
    assert.equal(m.layout, 'ntu25');
    assert.equal(m.bodies, 2);
    assert.equal(m.joints, 25);
    assert.equal(m.frameRate, 30);
    assert.equal(m.window, 20);
    assert.equal(m.inputSize, 150);
    assert.equal(m.provider, 'cpu');
    assert.equal(m.labels.length, 5);
    assert.deepEqual(m.labels[0], { name: 'action 0', ntuAction: 1 });
    assert.deepEqual(m.inputs[0].shape, ['T', 'B', 150]);
    assert.deepEqual(m.outputs[0].shape, ['T', 'B', 5]);
    assert.equal(m.preprocessing.layout, 'ntu25');
    const raw = await request(s.app).get('/v1/models/rows').expect(200);
    assert.equal(raw.body.layout, null);
    assert.equal(raw.body.bodies, null);
    assert.equal(raw.body.inputSize, 6);
  });

  it('GET /openapi.json: generated from the schemas, exactly the routes the app serves', async () => {
    const r = await request(s.app).get('/openapi.json').expect(200);
    const doc = r.body;
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(documented.sort(), servedRoutes(s.app).sort());
    assert.ok(documented.includes('GET /v2/models/{name}/versions/{version}/ready'));
    for (const [path, ops] of Object.entries(doc.paths))
      for (const op of Object.values(ops as Record<string, any>)) {
        const names = op.parameters?.filter((p: any) => p.in === 'path').map((p: any) => `{${p.name}}`) ?? [];
        assert.deepEqual(names, path.match(/\{\w+\}/g) ?? [], `${path}: one path parameter per template field`);
        assert.ok(op.responses['200'] ?? op.responses['202'], `${path}: documents its answer`);
      }
    const predict = doc.paths['/v1/models/{name}/predict'].post;
    assert.deepEqual(Object.keys(predict.requestBody.content), ['application/json', 'application/octet-stream']);
    assert.deepEqual(
      predict.parameters.filter((p: any) => p.in !== 'path').map((p: any) => `${p.in} ${p.name}`),
      [
        'header X-Frames-Shape',
        'query topK',
        'query timeline',
        'query frameRate',
        'query layout',
        'query minScore',
        'query segments',
      ],
    );
    const req = doc.components.schemas.PredictRequest;
    assert.deepEqual(Object.keys(req.properties).sort(), [
      'decision',
      'frameRate',
      'frames',
      'layout',
      'minScore',
      'segments',
      'sequences',
      'timeline',
      'topK',
    ]);
    assert.equal(req.additionalProperties, false);
    const frames = doc.components.schemas.Frames;
    assert.equal(frames.anyOf.length, 3, 'the three accepted nestings');
    assert.ok(doc.components.schemas.Error.properties.error.properties.code.enum.includes('invalid_shape'));
  });
});

describe('POST /v1/models/{name}/predict', () => {
  it('one body, T x J x 3: equals classPrediction on a direct model.run of the preprocessed joints', async () => {
    const frames = skeletonFrames(12, 1);
    const r = await request(s.app).post('/v1/models/skel/predict').send({ frames, topK: 3 }).expect(200);
    assert.equal(r.body.model, 'skel');
    assert.equal(r.body.version, '3');
    assert.equal(r.body.provider, 'cpu');
    assert.equal(r.body.predictions.length, 1);
    const model = s.registry.get('skel')!.model;
    const { logits } = await model.run(skeletonInput(frames), 12, 1);
    const direct = classPrediction(logits, 1, 5, 0, 11, model.metadata.labels, { topK: 3, timeline: false });
    assert.deepEqual(r.body.predictions[0], viaJson(direct));
    assert.equal(r.body.predictions[0].topK.length, 3);
    assert.equal(r.body.predictions[0].frames, 12);
    assert.ok(Number.isInteger(r.body.predictions[0].ntuAction));
  });

  it("a model trained on the paper's sampling gets the centre frame of each segment, as in its evaluation", async () => {
    const frames = skeletonFrames(23, 5);
    const r = await request(s.app).post('/v1/models/seg/predict').send({ frames }).expect(200);
    const model = s.registry.get('seg')!.model;
    const sampled = gatherFrames(skeletonInput(frames), 150, sampleSegments(23, 5, null));
    const { logits } = await model.run(sampled, 5, 1);
    const direct = classPrediction(logits, 1, 5, 0, 4, model.metadata.labels, { topK: 5, timeline: false });
    assert.deepEqual(r.body.predictions[0], viaJson(direct));
    const info = await request(s.app).get('/v1/models/seg').expect(200);
    assert.deepEqual(info.body.sampling, { kind: 'segments', segments: 5 });
  });

  it('two bodies, T x B x J x 3, with a timeline', async () => {
    const frames = skeletonFrames(7, 2, 2) as number[][][][];
    const r = await request(s.app).post('/v1/models/skel/predict').send({ frames, timeline: true }).expect(200);
    const model = s.registry.get('skel')!.model;
    const { logits } = await model.run(skeletonInput(frames), 7, 1);
    const direct = classPrediction(logits, 1, 5, 0, 6, model.metadata.labels, { topK: 5, timeline: true });
    assert.deepEqual(r.body.predictions[0], viaJson(direct));
    assert.equal(r.body.predictions[0].timeline?.length, 7);
  });

  it('one body given as T x 1 x J x 3 equals T x J x 3 (the second body is absent)', async () => {
    const frames = skeletonFrames(5, 3) as number[][][];
    const a = await request(s.app).post('/v1/models/skel/predict').send({ frames }).expect(200);
    const b = await request(s.app)
      .post('/v1/models/skel/predict')
      .send({ frames: frames.map((f) => [f]) })
      .expect(200);
    assert.deepEqual(a.body, b.body);
  });

  it('a batch of sequences of different lengths: each equals its own unbatched answer, ids echoed', async () => {
    const seqs = [skeletonFrames(4, 10), skeletonFrames(9, 11, 2), skeletonFrames(1, 12)];
    const r = await request(s.app)
      .post('/v1/models/skel/predict')
      .send({ sequences: seqs.map((frames, i) => ({ id: `s${i}`, frames })), topK: 2 })
      .expect(200);
    assert.equal(r.body.predictions.length, 3);
    for (const [i, frames] of seqs.entries()) {
      const one = await request(s.app).post('/v1/models/skel/predict').send({ frames, topK: 2 }).expect(200);
      const { id, ...rest } = r.body.predictions[i];
      assert.equal(id, `s${i}`);
      assert.equal(rest.label, one.body.predictions[0].label);
      assert.equal(rest.frames, frames.length);
      for (const [k, p] of rest.topK.entries())
        assert.ok(Math.abs(p.probability - one.body.predictions[0].topK[k].probability) < 1e-5);
    }
  });

  it('a model without a layout takes T x input_size rows', async () => {
    const frames = rawFrames(8, 6, 4);
    const r = await request(s.app).post('/v1/models/rows/predict').send({ frames, topK: 1 }).expect(200);
    const model = s.registry.get('rows')!.model;
    const { logits } = await model.run(Float32Array.from(frames.flat()), 8, 1);
    assert.deepEqual(
      r.body.predictions[0],
      viaJson(classPrediction(logits, 1, 5, 0, 7, model.metadata.labels, { topK: 1, timeline: false })),
    );
  });

  it('a regression model answers with a value', async () => {
    const frames = rawFrames(10, 2, 5);
    const r = await request(s.app).post('/v1/models/adding/predict').send({ frames, timeline: true }).expect(200);
    const model = s.registry.get('adding')!.model;
    const { logits } = await model.run(Float32Array.from(frames.flat()), 10, 1);
    assert.deepEqual(
      r.body.predictions[0],
      viaJson(regressionPrediction(logits, 1, 0, 9, { topK: 5, timeline: true })),
    );
  });
});

describe('middleware', () => {
  it('request id: generated, or the caller’s echoed; security headers on every response', async () => {
    const r = await request(s.app).get('/healthz').expect(200);
    assert.match(r.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    const mine = await request(s.app).get('/v1/models/nope').set('X-Request-Id', 'abc-123').expect(404);
    assert.equal(mine.headers['x-request-id'], 'abc-123');
    const odd = await request(s.app).get('/healthz').set('X-Request-Id', 'bad id with spaces').expect(200);
    assert.notEqual(odd.headers['x-request-id'], 'bad id with spaces');
    for (const res of [r, mine]) {
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.ok(res.headers['content-security-policy']);
      assert.equal(res.headers['x-powered-by'], undefined);
    }
  });

  it('every JSON answer ends with a newline, counted in its Content-Length (errors, predictions, early refusals)', async () => {
    const guarded = await serveApp(dir, { options: { token: 's3cret' } });
    try {
      const answers = [
        await request(s.app).get('/healthz').expect(200),
        await request(s.app).get('/v1/models/rows').set('Accept-Encoding', 'identity').expect(200),
        await request(s.app).get('/v1/models/nope').expect(404),
        await request(s.app)
          .post('/v1/models/rows/predict')
          .send({ frames: rawFrames(2, 6, 1) })
          .expect(200),
        await request(s.app).post('/v1/models/rows/predict').send({ frames: 'none' }).expect(400),
        // Refused before its body is read: answered at once, the body discarded (unread-body.ts).
        await request(guarded.app)
          .post('/v1/models/rows/predict')
          .send({ frames: rawFrames(2, 6, 1) })
          .expect(401),
      ];
      for (const [i, r] of answers.entries()) {
        const where = `answer ${i} (${r.status})`;
        assert.match(r.headers['content-type'], /^application\/json/, where);
        assert.ok(r.text.endsWith('}\n') && !r.text.endsWith('\n\n'), `${where}: ${JSON.stringify(r.text.slice(-20))}`);
        // (The predict route's answer goes through the compressor, chunked, when the client accepts gzip.)
        if (r.headers['content-length'] !== undefined)
          assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.text), where);
        assert.deepEqual(r.body, JSON.parse(r.text), where);
      }
      const metrics = await request(s.app).get('/metrics').expect(200);
      assert.ok(metrics.text.endsWith('\n') && !metrics.text.endsWith('\n\n'), 'the metrics text as before');
    } finally {
      await guarded.registry.close();
    }
  });

  it('bearer auth guards /v1 and /v2; health, metrics and the OpenAPI document stay open', async () => {
    const guarded = await serveApp(dir, { options: { token: 's3cret' } });
    try {
      for (const p of ['/healthz', '/readyz', '/v2/health/live', '/v2/health/ready', '/metrics', '/openapi.json']) {
        await request(guarded.app).get(p).expect(200);
      }
      const none = await request(guarded.app).get('/v1/models').expect(401);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.match(none.headers['www-authenticate'], /^Bearer/);
      const wrong = await request(guarded.app).get('/v2/models/skel').set('Authorization', 'Bearer wrong').expect(401);
      assert.equal(wrong.headers['x-error-code'], 'unauthorized');
      assert.deepEqual(wrong.body, { error: 'the bearer token is not valid' });
      await request(guarded.app)
        .post('/v1/models/rows/predict')
        .send({ frames: rawFrames(2, 6, 1) })
        .expect(401);
      await request(guarded.app).get('/v1/models').set('Authorization', 'Bearer s3cret').expect(200);
      await request(guarded.app)
        .post('/v1/models/rows/predict')
        .set('Authorization', 'bearer s3cret')
        .send({ frames: rawFrames(2, 6, 1) })
        .expect(200);
    } finally {
      await guarded.registry.close();
    }
  });
});

describe('GET /metrics after traffic', () => {
  it('counts requests by route and status, inference and batch histograms, model info with the provider', async () => {
    await request(s.app)
      .post('/v1/models/rows/predict')
      .send({ frames: rawFrames(3, 6, 9) })
      .expect(200);
    await request(s.app).post('/v1/models/rows/predict').send({ frames: 'x' }).expect(400);
    await request(s.app).get('/no/such/route').expect(404);
    await request(s.app).get('/v2/models/rows/versions/1/ready').expect(200);
    const r = await request(s.app).get('/metrics').expect(200);
    assert.match(r.headers['content-type'], /^text\/plain/);
    const text = r.text;
    assert.match(
      text,
      /indrnn_http_requests_total\{route="\/v1\/models\/\{name\}\/predict",method="POST",status="200"\} \d+/,
    );
    assert.match(
      text,
      /indrnn_http_requests_total\{route="\/v2\/models\/\{name\}\/versions\/\{version\}\/ready",method="GET",status="200"\} [1-9]/,
      'a route that shares its handler is labelled by its own template',
    );
    assert.match(
      text,
      /indrnn_http_requests_total\{route="\/v1\/models\/\{name\}\/predict",method="POST",status="400"\} [1-9]/,
    );
    assert.match(text, /indrnn_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/);
    assert.match(
      text,
      /indrnn_http_request_duration_seconds_bucket\{le="[\d.]+",route="\/v1\/models\/\{name\}\/predict",method="POST"\}/,
    );
    assert.match(text, /indrnn_inference_duration_seconds_count\{model="rows",version="1",provider="cpu"\} [1-9]/);
    assert.match(text, /indrnn_batch_size_count\{model="rows",version="1"\} [1-9]/);
    assert.match(text, /indrnn_queue_wait_seconds_count\{model="rows",version="1"\} [1-9]/);
    assert.match(text, /indrnn_model_info\{model="skel",version="3",provider="cpu"\} 1/);
    assert.match(text, /indrnn_http_requests_in_flight 1/); // this request
  });
});
