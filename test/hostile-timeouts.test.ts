// Time bounds (issue 11): a model run past --run-timeout-ms answers 504 and makes readiness 503 until it
// returns; a request that cannot start within --queue-timeout-ms gets 503; shutdown's wait for runs is
// bounded; a FIFO among the models does not hang start-up; the connection cap and the header timeout hold.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Batcher } from '../src/host/batcher.js';
import type { RunResult } from '../src/onnx/runner.js';
import { ApiError } from '../src/predict/errors.js';
import { modelDir, rawFrames, serveApp } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

let dir: string;
before(() => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Makes the model's runs hang until the returned function is called (then they run for real). */
function hangRuns(model: { run: (...a: any[]) => Promise<RunResult> }): () => void {
  const real = model.run.bind(model);
  const held: (() => void)[] = [];
  model.run = (...args: any[]) =>
    new Promise<RunResult>((resolve, reject) => held.push(() => real(...args).then(resolve, reject)));
  return () => {
    model.run = real;
    for (const go of held.splice(0)) go();
  };
}

const isCode = (code: string) => (e: unknown) => e instanceof ApiError && e.code === code;

describe('model run and queue deadlines', () => {
  it('Batcher: a stuck run answers 504, the queue behind it 503, and the model is stuck until it returns', async () => {
    const { registry } = await serveApp(dir);
    const model = registry.get('rows')!.model;
    const release = hangRuns(model);
    const b = new Batcher(model, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10, runTimeoutMs: 80, queueTimeoutMs: 150 });
    const x = new Float32Array(6);
    const first = b.submit(x, 1);
    await assert.rejects(first, isCode('timeout'));
    assert.equal(b.stuck, true);
    // The stuck run keeps its slot: the next request waits, then gets 503 at its queue deadline.
    await assert.rejects(b.submit(x, 1), isCode('overloaded'));
    await assert.rejects(
      b.exclusive(async () => 1),
      (e: unknown) => isCode('overloaded')(e) && /a model run is stuck/.test((e as Error).message),
    );
    release();
    await b.drain();
    assert.equal(b.stuck, false);
    assert.equal((await b.submit(x, 1)).B, 1, 'runs again once the stuck run returned');
    await registry.close();
  });

  it('Batcher: queued jobs get 503 each at its own deadline, in order, never before it', async () => {
    const { registry } = await serveApp(dir);
    const model = registry.get('rows')!.model;
    const release = hangRuns(model);
    const limit = 120;
    const b = new Batcher(model, { maxBatch: 1, maxDelayMs: 0, maxQueue: 10, queueTimeoutMs: limit });
    const x = new Float32Array(6);
    const running = b.submit(x, 1); // takes the one slot and hangs
    const refusedAt = (p: Promise<unknown>) =>
      p.then(
        () => Number.NaN,
        (e) => (isCode('overloaded')(e) ? performance.now() : Number.NaN),
      );
    const t1 = performance.now();
    const first = refusedAt(b.submit(x, 1));
    await new Promise((r) => setTimeout(r, 50)); // queued 50 ms apart: two different deadlines
    const t2 = performance.now();
    const second = refusedAt(b.submit(x, 1));
    const [a, c] = await Promise.all([first, second]);
    assert.ok(a >= t1 + limit - 1, `first refused ${a - t1} ms after it queued`);
    assert.ok(c >= t2 + limit - 1, `second refused ${c - t2} ms after it queued`);
    assert.ok(c >= a, 'in queue order');
    assert.equal(b.queued, 0);
    release();
    await running;
    await b.drain();
    await registry.close();
  });

  it('HTTP: 504 past the run deadline, /readyz 503 naming the stuck model, 200 again after', async () => {
    const { app, registry } = await serveApp(dir, { batch: { runTimeoutMs: 80, queueTimeoutMs: 5000 } });
    const release = hangRuns(registry.get('rows')!.model);
    const r = await request(app)
      .post('/v1/models/rows/predict')
      .send({ frames: rawFrames(3, 6, 1) });
    assert.equal(r.status, 504);
    assert.equal(r.body.error.code, 'timeout');
    assert.match(r.body.error.message, /--run-timeout-ms/);
    const ready = await request(app).get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body.stuck, ['rows']);
    release();
    await registry.get('rows')!.batcher.drain();
    assert.equal((await request(app).get('/readyz')).status, 200);
    await registry.close();
  });

  it('the registry stops waiting for a stuck run at the drain deadline', async () => {
    const { registry } = await serveApp(dir, { batch: { runTimeoutMs: 60_000 } });
    const served = registry.get('rows')!;
    const release = hangRuns(served.model);
    const pending = served.batcher.submit(new Float32Array(6), 1);
    const t0 = performance.now();
    assert.equal(await registry.close(100), false);
    assert.ok(performance.now() - t0 < 5000);
    release();
    await pending;
  });
});

describe('start-up and connections', () => {
  it('a FIFO named like a model is skipped by name, not read (start-up does not hang)', () => {
    const fifoDir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    try {
      assert.equal(spawnSync('mkfifo', [join(fifoDir, 'pipe.onnx')]).status, 0);
      const registry = join(import.meta.dirname, '..', 'src', 'host', 'registry.js');
      const script = `const { ModelRegistry } = await import(${JSON.stringify(registry)});
        const r = await ModelRegistry.load(${JSON.stringify(fifoDir)}, { device: 'cpu', threads: 1 });
        console.log(JSON.stringify({ names: r.names, skipped: r.skipped })); await r.close();`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.names, ['rows']);
      assert.match(out.skipped[0].reason, /pipe\.onnx: a FIFO, not a regular file/);
    } finally {
      rmSync(fifoDir, { recursive: true, force: true });
    }
  });

  it('connections past --max-connections are closed; a client slow to send its headers is cut', async () => {
    const srv = await startLoopbackServer(dir, {
      drainTimeoutMs: 1000,
      connections: { maxConnections: 2, headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
    const port = Number(new URL(srv.url).port);
    const open = () =>
      new Promise<{ closed: Promise<string> }>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          let got = '';
          s.on('data', (d) => {
            got += d;
          });
          const closed = new Promise<string>((r) => s.once('close', () => r(got)));
          s.on('error', () => {});
          s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // headers never finished
          resolve({ closed });
        });
      });
    try {
      const a = await open();
      const b = await open();
      const c = await open();
      assert.equal(await c.closed, '', 'the third connection is closed without an answer');
      const t0 = performance.now();
      assert.match(await a.closed, /^HTTP\/1\.1 408/, 'the slow client gets 408 and is cut');
      assert.match(await b.closed, /^HTTP\/1\.1 408/);
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      await srv.shutdown('test end');
    }
  });
});
