// The listening server: graceful shutdown drains in-flight requests before closing; new connections are
// refused afterwards and the models are freed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { CLI } from './helpers/cli.js';
import { modelDir, rawFrames } from './helpers/models.js';
import { servedUrl } from './helpers/processes.js';
import { startLoopbackServer } from './helpers/server.js';

/** Resolves when a new TCP connection to `url` is refused; fails if it is accepted. */
function refusedConnection(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error('a new connection was accepted'));
    });
    socket.once('error', () => resolve());
  });
}

describe('startServer / shutdown', () => {
  it('serves over a real socket; shutdown waits for the in-flight request, then closes', async () => {
    const dir = modelDir({ 'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const running = await startLoopbackServer(
      dir,
      { batch: { maxBatch: 8, maxDelayMs: 0, maxQueue: 16 }, logLevel: 'info', drainTimeoutMs: 5000 },
      logger,
    );
    try {
      assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
      // The model is held by a job the test releases, and the request is known queued when it is submitted.
      const batcher = running.state.registry!.get('rows')!.batcher;
      let release!: () => void;
      const held = batcher.exclusive(() => new Promise<void>((resolve) => (release = resolve)));
      const submit = batcher.submit.bind(batcher);
      const queued = new Promise<void>((resolve) => {
        batcher.submit = (x, T) => {
          resolve();
          return submit(x, T);
        };
      });
      const inFlight = fetch(`${running.url}/v1/models/rows/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'drain-me' },
        body: JSON.stringify({ frames: rawFrames(3, 6, 1) }),
      });
      await queued;
      const events: string[] = [];
      const stopped = running.shutdown('test').then(() => events.push('stopped'));
      const answered = inFlight.then((res) => {
        events.push('answered');
        return res;
      });
      await refusedConnection(new URL(running.url)); // no longer listening while it drains
      assert.deepEqual(events, [], 'shutdown waits for the queued request');
      release();
      await held;
      const res = await answered;
      assert.equal(res.status, 200, 'the in-flight request completed');
      assert.equal((await res.json()).predictions.length, 1);
      await stopped;
      await assert.rejects(fetch(`${running.url}/healthz`), 'no longer listening');
      assert.equal(running.state.registry, null);
      const logged = lines.map((l) => JSON.parse(l));
      assert.ok(logged.some((l) => l.msg === 'model loaded' && l.model === 'rows'));
      const answeredAt = logged.findIndex((l) => l.msg === 'request' && l.reqId === 'drain-me' && l.status === 200);
      assert.ok(answeredAt >= 0 && answeredAt < logged.findIndex((l) => l.msg === 'stopped'), 'answered, then stopped');
    } finally {
      await running.shutdown('cleanup');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indrnn serve: logs JSON lines, and exits 0 after a graceful drain on SIGTERM', async () => {
    const dir = modelDir({ 'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--models', dir, '--host', '127.0.0.1', '--port', '0', '--device', 'cpu'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const served = servedUrl(child);
      const url = await served.url;
      const r = await fetch(`${url}/v1/models/rows`);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).provider, 'cpu');
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve)); // after stdout is read to its end
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const lines = served
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.msg === 'model loaded'));
      assert.ok(
        lines.some((l) => l.msg === 'request' && l.route === '/v1/models/{name}' && typeof l.reqId === 'string'),
      );
      assert.equal(lines.at(-1).msg, 'stopped');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
