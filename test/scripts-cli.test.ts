// The scripts in scripts/ as a user runs them: every one answers --help with its options and an example,
// an unknown option gets one line and the help (no stack), a missing file one line; replay-stream finds the
// server at INDRNN_HOST/INDRNN_PORT, and the README's detection example runs on a fresh clone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { WebSocketServer } from 'ws';
import { formatSkeleton } from '../src/data/ntu-writer.js';
import { generateSample } from '../src/data/synth/generate.js';
import { indrnn } from './helpers/cli.js';
import { startLoopbackServer } from './helpers/server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILT = join(import.meta.dirname, '..', 'scripts');
/** Modules the scripts import, not run by themselves. */
const LIBRARIES = new Set([
  'action-model',
  'fuzz-cases',
  'fuzz-harness',
  'job-takes',
  'percentile',
  'raw-http',
  'refusals',
  'run-report',
  'script-args',
  'serve-process',
  'server-bench-model',
  'torch-peer',
]);

const SCRIPTS = readdirSync(join(ROOT, 'scripts'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => !LIBRARIES.has(name));

/** `node dist/scripts/NAME.js ARGS`: its exit status, stdout and stderr (never throws). */
async function script(name: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(BUILT, `${name}.js`), ...args], {
      env: { ...process.env, ...env, INDRNN_DEBUG: '' },
      timeout: 60_000,
    });
    return { status: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { status: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let tmp: string;
let clip: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'indrnn-scripts-'));
  clip = join(tmp, 'S001C001P001R001A023.skeleton');
  writeFileSync(
    clip,
    formatSkeleton(generateSample(7, { setup: 1, camera: 1, performer: 1, replication: 1, action: 23 })),
  );
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('scripts', () => {
  it('every script is an entry point with --help or a module in the list', () => {
    for (const name of SCRIPTS)
      assert.match(readFileSync(join(ROOT, 'scripts', `${name}.ts`), 'utf8'), /scriptArgs\(/, `${name}: no scriptArgs`);
    assert.ok(SCRIPTS.length >= 20, `${SCRIPTS.length} scripts`);
  });

  it('--help prints what the script does, its options and an example; exit 0', async () => {
    const answers = await Promise.all(SCRIPTS.map((name) => script(name, ['--help'])));
    SCRIPTS.forEach((name, i) => {
      const { status, stdout, stderr } = answers[i];
      assert.equal(status, 0, `${name}: ${stderr}`);
      assert.ok(stdout.startsWith(`${name}: `), `${name}: ${stdout.slice(0, 80)}`);
      assert.match(stdout, /\nUsage: (node dist\/scripts\/|npm run )\S+/, name);
      assert.match(stdout, /\nOptions:\n[\s\S]*-h, --help/, name);
      assert.match(stdout, /\nExamples?:\n {2}\S/, name);
    });
  });

  it('an unknown option: one line naming it, then the help, on stderr; exit 2, no stack', async () => {
    const answers = await Promise.all(SCRIPTS.map((name) => script(name, ['--no-such-option'])));
    SCRIPTS.forEach((name, i) => {
      const { status, stdout, stderr } = answers[i];
      assert.equal(status, 2, name);
      assert.equal(stdout, '', name);
      const [first, blank, about] = stderr.split('\n');
      assert.equal(first, `${name}: Unknown option '--no-such-option'`);
      assert.equal(blank, '');
      assert.ok(about.startsWith(`${name}: `), name);
      assert.doesNotMatch(stderr, /\n\s+at |ERR_PARSE_ARGS/, name);
    });
  });

  it('a missing file or argument: one line, exit 1 or 2', async () => {
    for (const name of ['replay-stream', 'skeleton-request']) {
      const missing = await script(name, [join(tmp, 'nope.skeleton')]);
      assert.equal(missing.status, 1, name);
      assert.match(missing.stderr, new RegExp(`^${name}: no such file.*nope\\.skeleton\\n$`));
      const none = await script(name, []);
      assert.equal(none.status, 2, name);
      assert.match(none.stderr, new RegExp(`^${name}: missing \\S+\\n`));
    }
  });

  it('replay-stream connects to INDRNN_HOST:INDRNN_PORT by default', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const paths: string[] = [];
    wss.on('connection', (ws, req) => {
      paths.push(req.url ?? '');
      ws.close(1000);
    });
    try {
      const port = String((wss.address() as { port: number }).port);
      const r = await script('replay-stream', [clip], { INDRNN_HOST: '127.0.0.1', INDRNN_PORT: port });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(paths, ['/v1/models/ntu-synth-stream/stream']);
    } finally {
      wss.close();
    }
  });

  it("the README's detection example on a fresh clone: a synthetic handshake starts and ends an action", async () => {
    const data = join(tmp, 'pairs');
    const synth = indrnn(
      ...['data', 'synth', '--out', data, '--seed', '5', '--subjects', '2', '--cameras', '1'],
      ...['--replications', '1', '--actions', '58'],
    );
    assert.equal(synth.status, 0, synth.stderr);
    const srv = await startLoopbackServer(join(ROOT, 'models', 'pku-mmd-detect.onnx'));
    try {
      const port = new URL(srv.url).port;
      const r = await script(
        'replay-stream',
        [join(data, 'S002C001P002R001A058.skeleton'), '--model', 'pku-mmd-detect', '--events', '--speed', '10'],
        { INDRNN_HOST: '127.0.0.1', INDRNN_PORT: port },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, />> START handshaking at frame \d+ \(\d+ %\) {2}\(truth: handshaking\)/);
      assert.match(r.stdout, /<< END {3}handshaking, frames \d+-\d+/, 'the reset at the end closes the action');
    } finally {
      await srv.shutdown('test end');
    }
  });
});
