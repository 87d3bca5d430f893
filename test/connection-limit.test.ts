// A connection past --max-connections is closed before anything is read, so no answer can name the limit:
// indrnn_connections_refused_total counts it (and a log line names --max-connections).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { scrape, until } from './helpers/metrics.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
}

test('a connection past --max-connections is closed and counted in indrnn_connections_refused_total', async () => {
  const dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 6 } });
  const srv = await startLoopbackServer(dir, { connections: { maxConnections: 1 } });
  try {
    const first = await open(srv.url);
    const { hostname, port } = new URL(srv.url);
    const second = connect(Number(port), hostname);
    let got = 0;
    second.on('data', (d) => {
      got += d.length;
    });
    second.on('error', () => {});
    await new Promise((resolve) => second.once('close', resolve)); // closed by the server
    assert.equal(got, 0, 'no answer');
    first.destroy();
    const connections = () => new Promise<number>((resolve) => srv.server.getConnections((_e, n) => resolve(n)));
    await until(async () => (await connections()) === 0, 'the first connection to be gone');
    assert.equal((await scrape(srv.url)).get('indrnn_connections_refused_total'), 1);
  } finally {
    await srv.shutdown('test end');
    rmSync(dir, { recursive: true, force: true });
  }
});
