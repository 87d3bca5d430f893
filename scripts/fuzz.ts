// The hostile-input harness (scripts/fuzz-harness.ts) for N minutes: seed after seed from S, each with
// 200 generated HTTP requests and 30 generated streams against `indrnn serve` on 127.0.0.1, then the
// health invariants. A server that died is restarted (and the finding kept). Prints the counts (requests,
// upgrades, messages, seeds, answers by status) and every finding with its seed; exits 1 on any finding.
import {
  baselineOf,
  type FuzzServer,
  fuzzSeed,
  newCounts,
  rssMb,
  startFuzzServer,
  stopFuzzServer,
} from './fuzz-harness.js';
import { scriptArgs } from './script-args.js';

const { values } = scriptArgs({
  name: 'fuzz',
  about:
    'the hostile-input harness against `indrnn serve` for N minutes: generated HTTP requests and streams seed after seed, then the health invariants; prints the counts and every finding with its seed, exit 1 on a finding',
  runAs: 'npm run fuzz --',
  options: {
    minutes: { type: 'string', default: '1', arg: 'N', help: 'how long' },
    seed: { type: 'string', default: '1', arg: 'S', help: 'the first seed' },
    models: { type: 'string', default: 'models', arg: 'DIR', help: 'the model directory served' },
    port: { type: 'string', default: '18090', arg: 'P', help: "the server's port" },
    json: { type: 'boolean', default: false, help: 'print the results as JSON' },
  },
  examples: ['npm run fuzz -- --minutes 30 --seed 1'],
});
const minutes = Number(values.minutes);
const firstSeed = Number(values.seed);
const port = Number(values.port);
if (!(minutes > 0) || !Number.isInteger(firstSeed)) throw new Error('--minutes must be > 0 and --seed an integer');

const counts = newCounts();
const t0 = performance.now();
const end = t0 + minutes * 60_000;
let server: FuzzServer = await startFuzzServer(values.models, port);
let health = await baselineOf(server);
const rssStart = rssMb(server.child.pid!) ?? 0;
let rssMax = rssStart;
let restarts = 0;
let lastReport = t0;
for (let seed = firstSeed; performance.now() < end; seed++) {
  const before = counts.findings.length;
  await fuzzSeed(server, health, seed, counts, { httpRuns: 200, wsRuns: 30 });
  rssMax = Math.max(rssMax, rssMb(server.child.pid!) ?? 0);
  if (counts.findings.length > before) {
    for (const f of counts.findings.slice(before)) console.error(`FINDING seed ${f.seed} ${f.kind}: ${f.detail}`);
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      restarts++;
      server = await startFuzzServer(values.models, port);
      health = await baselineOf(server);
    }
  }
  if (!values.json && performance.now() - lastReport > 60_000) {
    lastReport = performance.now();
    const min = ((lastReport - t0) / 60_000).toFixed(1);
    console.log(
      `${min} min: ${counts.requests} requests, ${counts.upgrades} upgrades, ${counts.messages} messages, ${counts.seeds} seeds, ${counts.findings.length} findings, RSS ${(rssMb(server.child.pid!) ?? 0).toFixed(0)} MB`,
    );
  }
}
const rssEnd = rssMb(server.child.pid!) ?? 0;
await stopFuzzServer(server);
const summary = {
  minutes,
  seeds: `${firstSeed}..${firstSeed + counts.seeds - 1}`,
  requests: counts.requests,
  upgrades: counts.upgrades,
  messages: counts.messages,
  statuses: counts.statuses,
  findings: counts.findings.length,
  restarts,
  rssMb: { start: Math.round(rssStart), max: Math.round(rssMax), end: Math.round(rssEnd) },
  wallSeconds: Math.round((performance.now() - t0) / 1000),
};
if (values.json) console.log(JSON.stringify({ ...summary, findingDetails: counts.findings }, null, 2));
else {
  console.log(
    `fuzz: ${summary.wallSeconds} s, seeds ${summary.seeds}: ${counts.requests} HTTP requests, ${counts.upgrades} WebSocket upgrades, ${counts.messages} stream messages; ${counts.findings.length} findings, ${restarts} restarts`,
  );
  console.log(`answers by status: ${JSON.stringify(counts.statuses)}`);
  console.log(
    `server RSS: ${summary.rssMb.start} MB at start, ${summary.rssMb.max} MB max, ${summary.rssMb.end} MB at end`,
  );
}
process.exit(counts.findings.length ? 1 : 0);
