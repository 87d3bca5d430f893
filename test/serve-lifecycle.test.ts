// The listening server: graceful shutdown drains in-flight requests before closing; new connections are
// refused afterwards and the models are freed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_APP_OPTIONS } from '../src/serve/app.js';
import { startServer } from '../src/serve/main.js';
import { modelDir, rawFrames } from './helpers/models.js';

describe('startServer / shutdown', () => {
  it('serves over a real socket; shutdown waits for the in-flight request, then closes', async () => {
    const dir = modelDir({ 'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const running = await startServer(
      {
        ...DEFAULT_APP_OPTIONS,
        models: dir,
        host: '127.0.0.1',
        port: 0,
        device: 'cpu',
        threads: 1,
        batch: { maxBatch: 8, maxDelayMs: 300, maxQueue: 16 }, // the request waits ~300 ms in the queue
        logLevel: 'info',
        drainTimeoutMs: 5000,
      },
      logger,
    );
    try {
      assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
      const inFlight = fetch(`${running.url}/v1/models/rows/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'drain-me' },
        body: JSON.stringify({ frames: rawFrames(3, 6, 1) }),
      });
      // Shut down once the request is queued (it waits ~300 ms there for company).
      const batcher = running.state.registry!.get('rows')!.batcher;
      for (let i = 0; i < 500 && batcher.queued === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(batcher.queued, 1);
      const t0 = performance.now();
      const stopped = running.shutdown('test');
      const res = await inFlight;
      assert.equal(res.status, 200, 'the in-flight request completed');
      assert.equal((await res.json()).predictions.length, 1);
      await stopped;
      assert.ok(performance.now() - t0 >= 200, 'shutdown waited for it');
      await assert.rejects(fetch(`${running.url}/healthz`), 'no longer listening');
      assert.equal(running.state.registry, null);
      const logged = lines.map((l) => JSON.parse(l));
      assert.ok(logged.some((l) => l.msg === 'model loaded' && l.model === 'rows'));
      assert.ok(logged.some((l) => l.msg === 'request' && l.reqId === 'drain-me' && l.status === 200));
      assert.ok(logged.some((l) => l.msg === 'stopped'));
    } finally {
      await running.shutdown('cleanup');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indrnn serve: logs JSON lines, and exits 0 after a graceful drain on SIGTERM', async () => {
    const dir = modelDir({ 'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    const child = spawn(
      process.execPath,
      ['dist/src/cli.js', 'serve', '--models', dir, '--host', '127.0.0.1', '--port', '0', '--device', 'cpu'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /"url":"([^"]+)"/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const r = await fetch(`${url}/v1/models/rows`);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).provider, 'cpu');
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve)); // after stdout is read to its end
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.msg === 'model loaded'));
      assert.ok(
        lines.some((l) => l.msg === 'request' && l.route === '/v1/models/:name' && typeof l.reqId === 'string'),
      );
      assert.equal(lines.at(-1).msg, 'stopped');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
