// Metrics an operator reads: every route labelled by its template (none 'unmatched'), per-model-version
// requests by outcome with end-to-end, queue and compute histograms, the pending-requests gauge, model
// load time and failures, and the whole exposition accepted by `promtool check metrics`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { mediapipePosePackage } from '../src/serve/routes/camera.js';
import { ROUTES, type RouteSpec } from '../src/serve/routes/table.js';
import { deltasOf, metricDeltas, parseExposition } from './helpers/metrics.js';
import { modelDir, rawFrames, serveApp, testModelBytes } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

let dir: string;
let s: Awaited<ReturnType<typeof serveApp>>;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', version: '4', inputSize: 6, classes: 3 } });
  s = await serveApp(dir);
});
after(async () => {
  await s.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `name{labels}` -> value from the app's own registry. */
async function series(): Promise<Map<string, number>> {
  return parseExposition((await request(s.app).get('/metrics').expect(200)).text);
}

/** Runs `traffic` against the in-process app; then how much each series grew. */
const deltas = (traffic: () => Promise<unknown>) => deltasOf(series, traffic);

/** A request that reaches each route's handler (the model 'rows', version '4'). */
function call(spec: RouteSpec) {
  const pose = spec.path.startsWith('/mediapipe/'); // the camera's MediaPipe files: the installed version's
  const path = spec.path
    .replace('{name}', 'rows')
    .replace('{version}', pose ? (mediapipePosePackage()?.version ?? 'none') : '4')
    .replace('{file}', pose ? 'pose.js' : 'app.js')
    .replace('{id}', 'some-job');
  if (spec.method === 'get') return request(s.app).get(path);
  if (spec.method === 'delete') return request(s.app).delete(path);
  const x = { name: 'x', shape: [2, 1, 6], datatype: 'FP32', data: new Array(12).fill(0.5) };
  const body: object = path.endsWith('/predict')
    ? { frames: rawFrames(2, 6, 1) }
    : path.endsWith('/infer')
      ? { inputs: [x] }
      : {};
  return request(s.app).post(path).send(body);
}

describe('route labels', () => {
  it('every route of the table is counted under its template, none as unmatched', async () => {
    const specs = (Object.values(ROUTES) as RouteSpec[]).filter((r) => !r.path.includes('/repository/models/'));
    const got = await deltas(async () => {
      for (const spec of specs) {
        const r = await call(spec);
        assert.ok(r.status < 500, `${spec.method} ${spec.path}: ${r.status}`);
      }
    });
    for (const spec of specs) {
      const method = spec.method.toUpperCase();
      // Training jobs are off on this server (--training): their routes answer 403, labelled all the same.
      const status = spec.path.startsWith('/v1/jobs') ? 403 : 200;
      const key = `indrnn_http_requests_total{route="${spec.path}",method="${method}",status="${status}"}`;
      assert.ok(got(key) >= 1, key); // /metrics also counts the scrapes around the traffic
    }
    assert.equal(got('indrnn_http_requests_total{route="unmatched",method="GET",status="200"}'), 0);
  });

  it('a wrong method is a 405 under the route template; an unknown path is unmatched', async () => {
    const got = await deltas(async () => {
      await request(s.app).get('/v2/models/rows/infer').expect(405);
      await request(s.app).get('/no/such/path').expect(404);
    });
    assert.equal(got('indrnn_http_requests_total{route="/v2/models/{name}/infer",method="GET",status="405"}'), 1);
    assert.equal(got('indrnn_http_requests_total{route="unmatched",method="GET",status="404"}'), 1);
  });

  it('answers given before routing (401 without the token, 503 while draining) are under the template too', async () => {
    const guarded = await serveApp(dir, { options: { token: 't' } });
    try {
      await request(guarded.app).post('/v1/models/rows/predict?x=1').send({}).expect(401);
      guarded.state.draining = true;
      await request(guarded.app).get('/v2/models/rows').expect(503);
      const text = (await request(guarded.app).get('/metrics')).text;
      assert.match(
        text,
        /indrnn_http_requests_total\{route="\/v1\/models\/\{name\}\/predict",method="POST",status="401"\} 1/,
      );
      assert.match(text, /indrnn_http_requests_total\{route="\/v2\/models\/\{name\}",method="GET",status="503"\} 1/);
      assert.doesNotMatch(text, /route="unmatched"/);
    } finally {
      await guarded.registry.close();
    }
  });
});

describe('per-model series', () => {
  it('indrnn_requests_total by model, version and outcome, with end-to-end, queue and compute histograms', async () => {
    const got = await deltas(async () => {
      await request(s.app)
        .post('/v1/models/rows/predict')
        .send({ frames: rawFrames(3, 6, 2) })
        .expect(200);
      await request(s.app)
        .post('/v2/models/rows/versions/4/infer')
        .send({ inputs: [{ name: 'x', shape: [1, 1, 6], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] })
        .expect(200);
      await request(s.app).post('/v1/models/rows/predict').send({ frames: 'x' }).expect(400);
      // Not a loaded model: no per-model series for a name a client made up.
      await request(s.app)
        .post('/v1/models/made-up/predict')
        .send({ frames: [[1]] })
        .expect(404);
    });
    const m = 'model="rows",version="4"';
    assert.equal(got(`indrnn_requests_total{${m},outcome="success"}`), 2);
    assert.equal(got(`indrnn_requests_total{${m},outcome="client_error"}`), 1);
    assert.equal(got(`indrnn_request_duration_seconds_count{${m}}`), 3);
    assert.equal(got(`indrnn_queue_wait_seconds_count{${m}}`), 2);
    assert.equal(got(`indrnn_inference_duration_seconds_count{${m},provider="cpu"}`), 1, 'the predict batch');
    assert.equal(got('indrnn_requests_total{model="made-up",version="",outcome="client_error"}'), 0);
    const text = (await request(s.app).get('/metrics')).text;
    assert.doesNotMatch(text, /made-up/);
    assert.match(text, /indrnn_model_info\{model="rows",version="4",provider="cpu"\} 1/);
  });

  it('indrnn_pending_requests counts what waits behind a running model', async () => {
    const served = s.registry.get('rows');
    assert.ok(served);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const running = served.batcher.exclusive(() => gate); // holds the one run slot
    const queued = served.batcher.submit(new Float32Array(6), 1);
    const during = await series();
    release();
    await Promise.all([running, queued]);
    const afterwards = await series();
    assert.equal(during.get('indrnn_pending_requests{model="rows",version="4"}'), 1);
    assert.equal(afterwards.get('indrnn_pending_requests{model="rows",version="4"}'), 0);
  });

  it('model load duration per model, and load failures', async () => {
    const d = modelDir({
      'good.onnx': { kind: 'raw', name: 'good', inputSize: 6 },
      'broken.onnx': testModelBytes({ kind: 'raw', name: 'x' }).slice(0, 100),
    });
    const app = await serveApp(d);
    try {
      const text = (await request(app.app).get('/metrics')).text;
      assert.match(text, /indrnn_model_load_duration_seconds_count\{model="good"\} 1/);
      assert.match(text, /indrnn_model_load_failures_total 1/);
    } finally {
      await app.registry.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

describe('promtool check metrics', () => {
  it('the exposition of a running server, default metrics included, is clean', {
    skip: PROMTOOL ? false : 'promtool is not installed (Debian package prometheus)',
  }, async () => {
    const srv = await startLoopbackServer(dir);
    try {
      // Some traffic first, so that every labelled series exists.
      await metricDeltas(srv.url, async () => {
        await fetch(`${srv.url}/v1/models/rows/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ frames: rawFrames(2, 6, 3) }),
        });
        await fetch(`${srv.url}/nope`);
      });
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      assert.match(text, /^process_cpu_seconds_total /m, 'default metrics are on');
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.equal((check.stdout + check.stderr).trim(), '', 'no lint findings');
    } finally {
      await srv.shutdown('test end');
    }
  });
});
