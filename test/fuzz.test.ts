// A short seeded run of the hostile-input harness (scripts/fuzz-harness.ts) inside the test suite: generated
// HTTP requests and WebSocket streams against `indrnn serve` (the shipped models) on 127.0.0.1; no 5xx, no
// internal stream error, no null prediction, and afterwards the process alive, /readyz 200, the normal
// predict unchanged and RSS bounded. Long runs: `npm run fuzz -- --minutes N --seed S`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  baselineOf,
  type FuzzServer,
  fuzzSeed,
  newCounts,
  startFuzzServer,
  stopFuzzServer,
} from '../scripts/fuzz-harness.js';
import { freePort } from './helpers/processes.js';

let server: FuzzServer;
before(async () => {
  server = await startFuzzServer('models', await freePort());
});
after(() => stopFuzzServer(server));

describe('hostile-input harness (short seeded run)', () => {
  it('seeds 1-2: no finding among generated requests and streams, and the server is healthy after', async () => {
    const health = await baselineOf(server);
    const counts = newCounts();
    for (const seed of [1, 2]) await fuzzSeed(server, health, seed, counts, { httpRuns: 120, wsRuns: 20 });
    assert.deepEqual(counts.findings, []);
    assert.equal(counts.seeds, 2);
    assert.ok(counts.requests >= 240 && counts.upgrades >= 40, JSON.stringify(counts));
    // The generators reach past routing and auth into validation and the model.
    assert.ok((counts.statuses[400] ?? 0) > 50, JSON.stringify(counts.statuses));
    assert.ok((counts.statuses[200] ?? 0) > 5, JSON.stringify(counts.statuses));
    assert.ok((counts.statuses.ws ?? 0) > 10, JSON.stringify(counts.statuses));
  });
});
