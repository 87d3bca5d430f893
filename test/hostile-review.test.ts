// Probes from an attacker's review of the file routes, binary predict, segments, layout and the neurons
// route against a real loopback server: every answer is a 4xx with a JSON error, never a 500 or a hang,
// and the server still answers afterwards.
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import request from 'supertest';
import { type RawResponse, rawRequest } from '../scripts/raw-http.js';
import { mediapipePosePackage } from '../src/serve/routes/camera.js';
import type { RunningServer } from '../src/server.js';
import { modelDir, serveApp, testModelBytes } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 3 },
    'det.onnx': { kind: 'raw', name: 'det', seed: 2, inputSize: 4, metadata: { background: 'class 0' } },
  });
  srv = await startLoopbackServer(dir, { maxFrames: 200 });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function raw(target: string, extra = '', body = ''): Promise<RawResponse> {
  const method = body ? 'POST' : 'GET';
  const head = `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return rawRequest(srv.url, head + body);
}

describe('hostile review probes', () => {
  const paths = [
    '/ui/..%2Fpackage.json',
    '/ui/%2e%2e%2f%2e%2e%2fpackage.json',
    '/ui/%252e%252e%252fpackage.json',
    '/ui/..%5c..%5cpackage.json',
    '/ui/__proto__',
    '/ui/constructor',
    '/ui/toString',
    '/ui/%E0%A4%A',
    '/ui/app.js%00',
    '/ui/app.js/..',
    '/mediapipe/pose/__proto__/pose.js',
    '/mediapipe/pose/0.5.1675469404/..%2F..%2Fpackage.json',
    '/mediapipe/pose/0.5.1675469404/%2e%2e%5cpackage.json',
    '/mediapipe/pose/%E0%A4%A/pose.js',
    '/mediapipe/pose/0.5.1675469404/constructor',
    '/v1/models/__proto__/neurons',
    '/v1/models/constructor/neurons',
    '/v1/models/%E0%A4%A/neurons',
    '/v1/models/..%2f..%2fetc/neurons',
  ];
  for (const p of paths) {
    it(`GET ${p}`, async () => {
      const r = await raw(p);
      assert.ok(r.status >= 400 && r.status < 500, `${r.status}`);
    });
  }

  const f32 = (n: number, v = 0.1) => Buffer.from(new Float32Array(n).fill(v).buffer);
  const bin: [string, string, Buffer, string?][] = [
    ['/v1/models/skel/predict', '200,25,3', Buffer.alloc(0)],
    ['/v1/models/skel/predict', '999999999,999999999,25,3', f32(75)],
    ['/v1/models/skel/predict', '1,25,2', f32(50)],
    ['/v1/models/skel/predict', '1,0,25,3', f32(0)],
    ['/v1/models/skel/predict', '1 ,25 , 3', f32(75)],
    ['/v1/models/skel/predict?layout=mediapipe33', '2,33,3', f32(198)],
    ['/v1/models/skel/predict?layout=mediapipe33', '', f32(2 * 33 * 3 * 3)],
    ['/v1/models/skel/predict?layout=__proto__', '1,25,3', f32(75)],
    ['/v1/models/skel/predict?layout[x]=1', '1,25,3', f32(75)],
    ['/v1/models/skel/predict?topK=1&topK=2', '1,25,3', f32(75)],
    ['/v1/models/skel/predict?frameRate=NaN', '1,25,3', f32(75)],
    ['/v1/models/skel/predict?frameRate=1e-300', '1,25,3', f32(75)],
    ['/v1/models/skel/predict?segments=true', '1,25,3', f32(75)],
    ['/v1/models/det/predict', '3,4', f32(12, Number.NaN)],
    ['/v1/models/det/predict', '3,4', f32(12)],
  ];
  for (const [target, shape, body] of bin) {
    it(`binary POST ${target} shape ${shape} (${body.length} bytes)`, async () => {
      const head = `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n${shape ? `X-Frames-Shape: ${shape}\r\n` : ''}Content-Length: ${body.length}\r\n\r\n`;
      const r = await rawRequest(srv.url, Buffer.concat([Buffer.from(head), body]));
      assert.ok(r.status < 500, `${r.status} ${r.body.slice(0, 300)}`);
    });
  }
  it('a NaN in the query is named as NaN, a fraction where an integer goes by its value (not "got number")', async () => {
    const body = f32(75);
    const head = `POST /v1/models/skel/predict?frameRate=NaN HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nX-Frames-Shape: 1,25,3\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await rawRequest(srv.url, Buffer.concat([Buffer.from(head), body]));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).error.message, 'frameRate: expected number, got NaN');
    const json = (decision: object) => {
      const body = JSON.stringify({ frames: [[0, 0, 0, 0]], segments: true, decision });
      return rawRequest(
        srv.url,
        `POST /v1/models/det/predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    const fraction = JSON.parse((await json({ minSteps: 2.5 })).body).error;
    assert.equal(fraction.message, 'decision.minSteps: expected int, got 2.5');
    const huge = JSON.parse((await json({ minSteps: 1e308 })).body).error;
    assert.match(huge.message, /^decision\.minSteps: .*<=1000$/); // the rule's limit, not a safe-integer one
  });
  const rows = (T: number) => JSON.stringify(Array.from({ length: T }, (_, t) => [t % 3, 1, 0, -1]));
  const bodies: string[] = [
    `{"frames":${rows(5)},"segments":true,"decision":{"minSteps":1000}}`,
    `{"frames":${rows(5)},"segments":true,"decision":{"smoothing":1e400}}`,
    `{"frames":${rows(5)},"segments":true,"decision":{"__proto__":{"minSteps":0}}}`,
    `{"frames":${rows(5)},"segments":true,"decision":{"startThreshold":0.1,"endThreshold":0.9}}`,
    `{"frames":${rows(5)},"segments":true,"decision":{"endThreshold":0,"startThreshold":1e-300,"smoothing":0}}`,
    `{"frames":${rows(5)},"segments":"yes"}`,
    `{"frames":${rows(5)},"segments":true,"decision":null}`,
    `{"frames":${rows(5)},"segments":true,"decision":[]}`,
    `{"frames":${rows(200)},"segments":true,"timeline":true,"decision":{"minSteps":1,"startThreshold":1e-9,"endThreshold":0}}`,
    `{"sequences":[{"frames":${rows(5)}}],"segments":true,"layout":"mediapipe33"}`,
  ];
  for (const b of bodies) {
    it(`JSON predict det ${b.replace(/"frames":\[.*?\]\]/, '"frames":..').slice(0, 120)}`, async () => {
      const r = await raw('/v1/models/det/predict', 'Content-Type: application/json\r\n', b);
      assert.ok(r.status < 500, `${r.status} ${r.body.slice(0, 300)}`);
    });
  }
  it('skel: segments on a non-detection model, layout mediapipe33 with wrong joints', async () => {
    const f = JSON.stringify([[[0, 0, 0]]]);
    for (const b of [`{"frames":${f},"segments":true}`, `{"frames":${f},"layout":"mediapipe33"}`]) {
      const r = await raw('/v1/models/skel/predict', 'Content-Type: application/json\r\n', b);
      assert.ok(r.status < 500, `${r.status} ${r.body.slice(0, 300)}`);
    }
  });
});

describe('neurons of a served model whose file changed or went away on disk (no reload)', () => {
  it('answers 503 model_file_changed naming the model, never a 500', async () => {
    const d = modelDir({
      'a.onnx': { kind: 'raw', name: 'a', seed: 2, inputSize: 4 },
      'b.onnx': { kind: 'raw', name: 'b', seed: 3, inputSize: 4 },
      'c.onnx': { kind: 'raw', name: 'c', seed: 4, inputSize: 4 },
    });
    const s = await startLoopbackServer(d);
    try {
      rmSync(`${d}/a.onnx`); // gone
      writeFileSync(`${d}/b.onnx`, 'not a model any more'); // replaced by something else
      // Replaced by another valid model of the same shapes: its weights are not the served model's.
      writeFileSync(`${d}/c.tmp`, testModelBytes({ kind: 'raw', name: 'c', seed: 5, inputSize: 4 }));
      renameSync(`${d}/c.tmp`, `${d}/c.onnx`);
      for (const name of ['a', 'b', 'c']) {
        const r = await rawRequest(
          s.url,
          `GET /v1/models/${name}/neurons HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(r.status, 503, r.body);
        const e = JSON.parse(r.body).error;
        assert.equal(e.code, 'model_file_changed');
        assert.equal(e.details.model, name);
      }
    } finally {
      await s.shutdown('test end');
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('a --model-runner worker that dies', () => {
  it('is started again: the next requests get the same answers, not a 500 for the rest of the process', async () => {
    const d = modelDir({ 'a.onnx': { kind: 'raw', name: 'a', seed: 2, inputSize: 4 } });
    const s = await serveApp(d, { runner: 'worker' });
    try {
      const predict = () =>
        request(s.app)
          .post('/v1/models/a/predict')
          .send({ frames: [[1, 2, 3, 4]] });
      const before = await predict().expect(200);
      for (let death = 0; death < 2; death++) {
        // The thread goes away as after an uncaught error in it (the model's runner owns it).
        const runner = (s.registry.get('a')!.model as unknown as { runner: { worker: Worker } }).runner;
        await runner.worker.terminate();
        const after = await predict();
        assert.equal(after.status, 200, JSON.stringify(after.body));
        assert.deepEqual(after.body.predictions, before.body.predictions);
      }
      // Operators see it: a counter per model (and an error line in the log).
      const text = (await request(s.app).get('/metrics').expect(200)).text;
      const version = s.registry.get('a')!.version;
      assert.match(text, new RegExp(`^indrnn_model_worker_restarts_total\\{model="a",version="${version}"\\} 2$`, 'm'));
    } finally {
      assert.equal(await s.registry.close(5000), true);
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the file routes and the request headers send() reads', () => {
  const pose = mediapipePosePackage();
  const files = ['/camera', ...(pose ? [`/mediapipe/pose/${pose.version}/pose.js`] : [])];
  for (const path of files) {
    it(`${path}: a Range outside the file is 416, a precondition that cannot hold 412, never a 500`, async () => {
      const cases: [string, number, string, string][] = [
        ['Range: bytes=99999999999-', 416, 'range_not_satisfiable', 'Range'],
        ['Range: bytes=-0', 416, 'range_not_satisfiable', 'Range'],
        ['If-Match: "abc"', 412, 'precondition_failed', 'If-Match'],
        ['If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT', 412, 'precondition_failed', 'If-Unmodified-Since'],
      ];
      for (const [header, status, code, field] of cases) {
        const r = await raw(path, `${header}\r\n`);
        assert.equal(r.status, status, `${header}: ${r.body.slice(0, 200)}`);
        const e = JSON.parse(r.body).error;
        assert.equal(e.code, code);
        assert.equal(e.details.field, field);
      }
      assert.equal((await raw(path, 'Range: bytes=0-3\r\n')).status, 206); // a range inside still works
    });
  }
});

describe('the page files and Accept-Encoding', () => {
  it('gzip only for a client that accepts it: gzip;q=0 refuses it', async () => {
    const encoding = async (accept: string) => {
      const r = await raw('/ui/style.css', accept ? `Accept-Encoding: ${accept}\r\n` : '');
      assert.equal(r.status, 200);
      return /^content-encoding: (\S+)/im.exec(r.head)?.[1] ?? null;
    };
    assert.equal(await encoding('gzip'), 'gzip');
    assert.equal(await encoding('br, gzip;q=0.5'), 'gzip');
    assert.equal(await encoding('gzip;q=0'), null);
    assert.equal(await encoding('identity'), null);
    assert.equal(await encoding(''), null);
  });
});
