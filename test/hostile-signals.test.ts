// Signals (issue 11): SIGTERM to `npm start` (npm -> sh -> launcher -> server) and to the CLI's re-exec
// launcher drains and stops the server, leaving no process behind; a launcher killed outright (SIGKILL)
// takes the server with it instead of orphaning it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from './helpers/cli.js';
import { modelDir } from './helpers/models.js';
import { allGone, descendants, freePort, untilReady } from './helpers/processes.js';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
before(() => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `command args` (which serves on a fresh port) and waits until the server is ready. */
async function serving(command: string, args: (port: number) => string[]) {
  const port = await freePort();
  const child = spawn(command, args(port), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const gone = new AbortController();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone.abort(new Error(`exited with ${code} before it served:\n${output}`));
      resolve(code);
    }),
  );
  // Waits for the server or the child's exit, not for a clock: `npm start` builds first, which takes half a
  // minute on a loaded machine.
  await untilReady(`http://127.0.0.1:${port}`, Number.POSITIVE_INFINITY, gone.signal);
  return { child, exited, output: () => output, tree: [child.pid!, ...descendants(child.pid!)] };
}

const serveFlags = (port: number) => [
  '--models',
  dir,
  '--host',
  '127.0.0.1',
  '--port',
  String(port),
  '--device',
  'cpu',
];

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

describe('signals', () => {
  it('SIGTERM to `npm start` drains and stops the server: no process is left', async () => {
    const s = await serving('npm', (port) => ['start', '--', ...serveFlags(port)]);
    try {
      assert.ok(s.tree.length >= 3, `npm, the launcher and the server: ${s.tree}`);
      s.child.kill('SIGTERM');
      await s.exited;
      await allGone(s.tree);
      assert.match(s.output(), /"msg":"stopped"/, 'the server drained and stopped');
    } finally {
      killAll(s.tree);
    }
  });

  it('SIGTERM to the launcher drains and stops the server it re-executed', async () => {
    const s = await serving(process.execPath, (port) => [CLI, 'serve', ...serveFlags(port)]);
    try {
      assert.equal(s.tree.length, 2, `the launcher and the server: ${s.tree}`);
      s.child.kill('SIGTERM');
      await s.exited;
      await allGone(s.tree);
      assert.match(s.output(), /"msg":"stopped"/);
    } finally {
      killAll(s.tree);
    }
  });

  it('a launcher killed with SIGKILL takes its server down (no orphan)', async () => {
    const s = await serving(process.execPath, (port) => [CLI, 'serve', ...serveFlags(port)]);
    try {
      const server = s.tree[1];
      s.child.kill('SIGKILL');
      await s.exited;
      await allGone([server]);
      assert.match(s.output(), /the launcher process exited/);
    } finally {
      killAll(s.tree);
    }
  });
});
