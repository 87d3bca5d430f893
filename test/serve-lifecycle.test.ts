// The listening server: graceful shutdown drains in-flight requests before closing; new connections are
// refused afterwards and the models are freed.
import assert from 'node:assert/strict';
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
      await new Promise((r) => setTimeout(r, 50));
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
});
