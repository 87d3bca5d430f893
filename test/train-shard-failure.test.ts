// A data-parallel shard that fails mid-training (an exception in its step, its worker thread dying of an
// uncaught error or exiting, or the main thread's shard failing while the workers wait at a batch-norm
// barrier): `indrnn train` exits 1 promptly with one line naming the shard and the cause, never the
// "another shard failed" it caused; the last checkpoint stays intact and --resume ends exactly as an
// uninterrupted run. Faults come from the test-only INDRNN_TEST_SHARD_FAULT (src/train/replica.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCheckpoint } from '../src/train/checkpoint.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'indrnn-shardfail-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** The CLI in a child process, killed (signal SIGKILL, so a hang fails the test) after 60 s. */
function train(out: string, fault: string | null, ...extra: string[]): Promise<Ran> {
  const args = ['train', '--task', 'adding', '--seq-len', '40', '--steps', '8', '--eval-every', '3'];
  const env: NodeJS.ProcessEnv = { ...process.env, INDRNN_NO_REEXEC: '1' };
  if (fault) env.INDRNN_TEST_SHARD_FAULT = fault;
  else delete env.INDRNN_TEST_SHARD_FAULT;
  const child = spawn(process.execPath, [CLI, ...args, '--threads', '2', '--quiet', '--out', out, ...extra], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

function finalLosses(out: string): [number, number] {
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    finalTrainLoss: number;
    finalTestLoss: number;
  };
  return [s.finalTrainLoss, s.finalTestLoss];
}

describe('a data-parallel shard failing mid-training', { timeout: 300_000 }, () => {
  let reference: [number, number];
  before(async () => {
    const out = join(root, 'reference');
    const r = await train(out, null);
    assert.equal(r.code, 0, r.stderr);
    reference = finalLosses(out);
  });

  const cases = [
    { fault: 'throw:1:5', says: 'training shard 1: injected fault in shard 1', what: 'an exception in a worker shard' },
    {
      fault: 'crash:1:5',
      says: 'training shard 1: its worker thread failed: injected crash in shard 1',
      what: 'a worker thread killed by an uncaught error (as an out-of-memory)',
    },
    { fault: 'exit:1:5', says: 'training shard 1: its worker thread exited (code 3)', what: 'a worker thread exiting' },
    {
      fault: 'throw:0:5',
      says: 'training shard 0: injected fault in shard 0',
      what: 'the main thread shard failing while the worker waits at a barrier',
    },
  ];
  for (const { fault, says, what } of cases) {
    it(`${what}: exit 1 naming shard and cause, checkpoint intact, --resume ends as an uninterrupted run`, {
      timeout: 150_000,
    }, async () => {
      const out = join(root, fault.replaceAll(':', '-'));
      const failed = await train(out, fault);
      assert.equal(failed.signal, null, `the run hung and was killed: ${failed.stderr}`);
      assert.equal(failed.code, 1, failed.stderr);
      // One line (no stack, no race with the "another shard failed" of the shards it released).
      assert.equal(failed.stderr.trim(), `indrnn: ${says}`);
      // The fault hit the 5th step (index 4); the last checkpoint is the one of step 3, whole.
      assert.equal(loadCheckpoint(join(out, 'checkpoint.safetensors')).state.step, 3);

      const resumed = await train(out, null, '--resume');
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(finalLosses(out), reference);
    });
  }
});
