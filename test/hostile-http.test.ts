// Regression tests for requests that crashed the server, held it up or got a 500 (issue 11): upgrade
// requests with bad targets or reset connections, frame rates that size huge step arrays, numbers outside
// float32, deeply nested and oversized KServe tensors, bad percent-encoding, corrupt gzip, lying
// Content-Length. Against a listening server on 127.0.0.1 (port 0), with a token so that every case
// runs before or around auth as a stranger's request would.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { rawRequest, sendAndReset, upgradeRequest } from '../scripts/raw-http.js';
import type { RunningServer } from '../src/server.js';
import { modelDir, skeletonFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const TOKEN = 'hostile-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const RATE = { kind: 'rate', fps: 10, window: 8 };

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 1 },
    'rate.onnx': { kind: 'skeleton', name: 'ratey', seed: 5, metadata: { sampling: JSON.stringify(RATE) } },
    'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 },
  });
  srv = await startLoopbackServer(dir, { token: TOKEN });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body),
  });
  return { status: r.status, code: r.headers.get('x-error-code'), body: (await r.json()) as any };
}

/** The server still answers, and a normal prediction is still right. */
async function stillServing(): Promise<void> {
  assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
  const r = await post('/v1/models/skel/predict', { frames: skeletonFrames(4, 3) });
  assert.equal(r.status, 200);
  assert.ok(Number.isFinite(r.body.predictions[0].probability));
}

describe('WebSocket upgrades that crashed the process', () => {
  it('an absolute-form target that is not a URL gets 400, and the server lives', async () => {
    const r = await rawRequest(srv.url, upgradeRequest('http://[/x'));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).error.code, 'invalid_request');
    await stillServing();
  });

  it('an absolute-form target that is a URL is routed by its path', async () => {
    const r = await rawRequest(srv.url, upgradeRequest('http://example.com/v1/models/skel/stream'));
    assert.equal(r.status, 401); // the route matched; no token given
  });

  it('%ff in the model name of a stream route gets 404 model_not_found', async () => {
    const r = await rawRequest(srv.url, upgradeRequest('/v1/models/%ff/stream', `Authorization: Bearer ${TOKEN}\r\n`));
    assert.equal(r.status, 404);
    const body = JSON.parse(r.body);
    assert.equal(body.error.code, 'model_not_found');
    await stillServing();
  });

  it('refused upgrades whose clients reset the connection do not crash it', async () => {
    for (let i = 0; i < 40; i++) {
      await sendAndReset(srv.url, upgradeRequest(i % 2 ? '/nope' : '/v1/models/skel/stream'));
    }
    await stillServing();
  });

  it('a refusal written to a socket the client has reset is an error on that socket only', async () => {
    // Deterministic form of the race above: the socket fails the refusal's write with ECONNRESET.
    const socket = new Duplex({
      read() {},
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' }));
      },
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    srv.server.emit('upgrade', { url: '/nope', headers: {} }, socket, Buffer.alloc(0));
    await closed;
    await stillServing();
  });
});

describe('frame rates are bounded before anything is allocated', () => {
  it('HTTP predict: frameRate below 1 frame/s is a 400 naming frameRate', async () => {
    const r = await post('/v1/models/ratey/predict', { frames: skeletonFrames(2, 1), frameRate: 5e-6 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.details.field, 'frameRate');
  });

  it('HTTP predict: frames that resample to more steps than --max-frames are refused', async () => {
    // 1,000 frames at 1 frame/s are 9,991 steps at the model's 10 steps/s.
    const frames = skeletonFrames(1000, 2);
    const r = await post('/v1/models/ratey/predict', { frames, frameRate: 1 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'too_many_frames');
    assert.match(r.body.error.message, /9991 model steps/);
  });

  it('a stream config with frameRate 1e-9 is refused and the stream carries on', async () => {
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/ratey/stream?token=${TOKEN}`);
    c.send({ type: 'config', frameRate: 1e-9 });
    const err = await c.until((m) => m.type === 'error');
    assert.equal(err.field, 'frameRate');
    c.send({ type: 'frames', frames: skeletonFrames(3, 1) });
    await c.predictions(1);
    c.close();
  });
});

describe('numbers finite in float64 but not in float32', () => {
  const big = skeletonFrames(2, 4) as number[][][];
  big[1][3][2] = 1e39;

  it('HTTP predict: 400 non_finite_value naming the element', async () => {
    const r = await post('/v1/models/skel/predict', { frames: big });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'non_finite_value');
    assert.equal(r.body.error.details.field, 'frames[1][3][2]');
    assert.match(r.body.error.message, /float32/);
  });

  it('KServe v2: 400 naming the element of data', async () => {
    const data = Array.from({ length: 6 }, (_, i) => (i === 4 ? 1e308 : 0.5));
    const r = await post('/v2/models/rows/infer', {
      inputs: [{ name: 'x', shape: [1, 1, 6], datatype: 'FP32', data }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'non_finite_value');
    assert.match(r.body.error, /^inputs\[0\]\.data\[4\] /, 'the KServe error message names the element');
  });

  it('a stream: an error naming the element, no null prediction', async () => {
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/skel/stream?token=${TOKEN}`);
    c.send({ type: 'frames', frames: big });
    const err = await c.until((m) => m.type === 'error');
    assert.equal(err.code, 'non_finite_value');
    assert.equal(err.field, 'frames[1][3][2]');
    assert.equal(c.messages.filter((m) => m.type === 'prediction').length, 0);
    c.close();
  });
});

describe('numbers finite in float32 that overflow inside the model', () => {
  const huge = () => {
    const f = skeletonFrames(3, 4) as number[][][];
    for (const joint of f[1]) joint[0] = 3e38;
    return f;
  };

  it('HTTP predict: 400 non_finite_value, not a null probability', async () => {
    const r = await post('/v1/models/skel/predict', {
      sequences: [{ frames: skeletonFrames(2, 1) }, { frames: huge() }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'non_finite_value');
    assert.equal(r.body.error.details.field, 'sequences[1].frames');
  });

  it('KServe v2: 400 non_finite_value, not null outputs', async () => {
    const data = Array.from({ length: 6 }, () => 3.4e38); // finite in float32; the model overflows
    const r = await post('/v2/models/rows/infer', {
      inputs: [{ name: 'x', shape: [1, 1, 6], datatype: 'FP32', data }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'non_finite_value');
    assert.match(r.body.error, /^inputs: /);
  });

  it('a stream: an error instead of null predictions, and the next frames predict again', async () => {
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/skel/stream?token=${TOKEN}`);
    c.send({ type: 'frames', frames: huge() });
    const err = await c.until((m) => m.type === 'error');
    assert.equal(err.code, 'non_finite_value');
    c.send({ type: 'reset' });
    await c.until((m) => m.type === 'reset');
    const from = c.messages.length;
    c.send({ type: 'frames', frames: skeletonFrames(2, 5) });
    await c.until((m) => m.type === 'prediction', 5000, from);
    for (const m of c.messages.filter((x) => x.type === 'prediction')) assert.ok(Number.isFinite(m.probability));
    c.close();
  });
});

describe('KServe v2 tensors', () => {
  it('data nested 100,000 deep is a 400, not a stack overflow', async () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const r = await post(
      '/v2/models/rows/infer',
      `{"inputs":[{"name":"x","shape":[1,1,6],"datatype":"FP32","data":${deep}}]}`,
    );
    assert.equal(r.status, 400);
    assert.equal(r.code, 'invalid_shape');
    assert.match(r.body.error, /^inputs\[0\]\.data/);
  });

  it('a shape the payload does not fill is refused before its tensor is allocated', async () => {
    // 76 bytes of request asking for [1000, 64, 6]: refused by the count of values actually sent.
    const r = await post('/v2/models/rows/infer', {
      inputs: [{ name: 'x', shape: [1000, 64, 6], datatype: 'FP32', data: [1] }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'invalid_shape');
    assert.match(r.body.error, /has 1 values?, shape \[1000, 64, 6\] needs 384000/);
  });

  it('a shape too large to allocate at all is a 400 (limits raised), not a 500', async () => {
    const big = await startLoopbackServer(dir, { maxFrames: 1e9, maxSequences: 1e9 });
    try {
      const r = await fetch(`${big.url}/v2/models/rows/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [100_000_000, 1000, 6], datatype: 'FP32', data: [1] }] }),
      });
      assert.equal(r.status, 400);
    } finally {
      await big.shutdown('test end');
    }
  });
});

describe('bodies and paths', () => {
  it('%ff in a model name is a 4xx on v1 and v2', async () => {
    for (const [method, path] of [
      ['GET', '/v1/models/%ff'],
      ['POST', '/v1/models/%ff/predict'],
      ['GET', '/v2/models/%ff'],
      ['POST', '/v2/models/%E0%A4%A/infer'],
    ]) {
      const r = await fetch(`${srv.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...AUTH },
        body: method === 'POST' ? '{}' : undefined,
      });
      assert.equal(r.status, 400, path);
      await r.json();
      assert.equal(r.headers.get('x-error-code'), 'invalid_request', path);
    }
  });

  it('a corrupt gzip body is a 400', async () => {
    const gz = gzipSync(JSON.stringify({ frames: skeletonFrames(2, 1) }));
    gz[gz.length - 6] ^= 0xff; // break the CRC
    const broken = Buffer.concat([gz.subarray(0, 20), Buffer.from('not deflate at all'), gz.subarray(20)]);
    const r = await post('/v1/models/skel/predict', broken, { 'content-encoding': 'gzip' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_json');
  });

  it('a corrupt brotli or deflate body is a 400 naming Content-Encoding', async () => {
    for (const encoding of ['br', 'deflate']) {
      const r = await post('/v1/models/skel/predict', Buffer.from('{"frames": not compressed at all'), {
        'content-encoding': encoding,
      });
      assert.equal(r.status, 400, encoding);
      assert.equal(r.body.error.details.field, 'Content-Encoding', encoding);
    }
  });

  it('413 for a compressed body names the bytes read', async () => {
    const huge = gzipSync(Buffer.from(`{"frames":[${'0,'.repeat(5_000_000)}0]}`));
    const r = await post('/v1/models/skel/predict', huge, { 'content-encoding': 'gzip' });
    assert.equal(r.status, 413);
    assert.doesNotMatch(r.body.error.message, /undefined/);
    assert.match(r.body.error.message, /more than \d+ bytes/);
  });

  it('413 for a chunked body names the bytes read', async () => {
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(1024 * 1024).fill(32));
        c.close();
      },
    });
    const r = await fetch(`${srv.url}/v1/models/skel/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    assert.equal(r.status, 413);
    const body = (await r.json()) as any;
    assert.doesNotMatch(body.error.message, /undefined/);
  });

  it('a Content-Length of 99,999,999,999 with no body is refused at once (413)', async () => {
    const r = await rawRequest(
      srv.url,
      `POST /v1/models/skel/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 99999999999\r\n\r\n`,
      { timeoutMs: 3000 },
    );
    assert.equal(r.status, 413);
    assert.equal(r.head.toLowerCase().includes('connection: close'), true);
  });

  it('the server is still serving after all of the above', stillServing);
});
