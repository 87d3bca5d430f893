// The benchmarks' refusal counting (scripts/refusals.ts): a stream refused past the server's limit is read
// as the limit the server named, not a crash; other answers and failed connections get a reason too.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { answerReason, connectionErrorReason, Refusals, upgradeRefusalReason } from '../scripts/refusals.js';
import type { RunningServer } from '../src/server.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 } });
  srv = await startLoopbackServer(dir, { stream: { maxConnections: 1 } });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

test('a stream refused past the stream limit is counted with the limit the server named', async () => {
  const url = `${srv.url.replace('http', 'ws')}/v1/models/rows/stream`;
  const first = await StreamClient.open(url);
  const refusals = new Refusals();
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => reject(new Error('the second stream was accepted')));
    ws.on('unexpected-response', (_req, res) => {
      void upgradeRefusalReason(res).then((reason) => {
        refusals.add(`refused: ${reason}`);
        resolve();
      });
    });
  });
  first.close();
  assert.equal(refusals.total, 1);
  assert.match(String(refusals), /^1 x refused: 503 too_many_streams: 1 streams are open \(limit 1\)/);
});

test('answers without the error body and failed connections still say what happened', () => {
  assert.equal(answerReason(502, '<html>bad gateway</html>'), '502: <html>bad gateway</html>');
  assert.equal(answerReason(503, ''), '503 (no body)');
  assert.equal(
    answerReason(503, '{"error":{"code":"overloaded","message":"the queue is full (--max-queue 64)"}}'),
    '503 overloaded: the queue is full (--max-queue 64)',
  );
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  assert.match(connectionErrorReason(reset), /ECONNRESET.*--max-connections/);
  const counts = new Refusals();
  counts.add('a');
  counts.add('b', 3);
  assert.equal(String(counts), '3 x b; 1 x a');
  assert.deepEqual(counts.toJSON(), { a: 1, b: 3 });
});
