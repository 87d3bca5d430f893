// indrnn data inspect|build|synth|baseline, driven in-process with --json output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerData } from '../src/cli/data.js';

/** Runs `indrnn data ...args` and returns what it printed to stdout. */
async function run(...args: string[]): Promise<string> {
  const program = new Command('indrnn').exitOverride();
  registerData(program);
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'indrnn', 'data', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe('indrnn data CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-data-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const raw = join(dir, 'raw');
  const cache = join(dir, 'all.cache');

  it('synth -> inspect -> build -> baseline', async () => {
    const synth = JSON.parse(
      await run(
        'synth',
        '--out',
        raw,
        '--seed',
        '3',
        '--subjects',
        '3',
        '--replications',
        '1',
        '--actions',
        '8,9,10,58',
        '--jobs',
        '1',
        '--json',
      ),
    );
    assert.equal(synth.files, 3 * 3 * 4);

    const info = JSON.parse(await run('inspect', join(raw, 'S002C001P002R001A058.skeleton'), '--json'));
    assert.equal(info.kind, 'skeleton');
    assert.deepEqual(info.name, {
      setup: 2,
      camera: 1,
      performer: 2,
      replication: 1,
      action: 58,
      actionName: 'handshaking',
    });
    assert.deepEqual(info.joints, [25]);
    assert.ok(info.frames >= 40 && info.maxBodies >= 2);

    const built = JSON.parse(await run('build', '--raw', raw, '--out', cache, '--json'));
    assert.equal(built.header.count, 36);
    assert.deepEqual(
      built.header.labels.map((l: { ntuAction: number }) => l.ntuAction),
      [8, 9, 10, 58],
    );

    const part = JSON.parse(
      await run(
        'build',
        '--raw',
        raw,
        '--out',
        join(dir, 'xview-test.cache'),
        '--split',
        'ntu60-xview',
        '--part',
        'test',
        '--json',
      ),
    );
    assert.equal(part.header.count, 12); // camera 1 only
    assert.equal(part.skipped.otherPart, 24);

    const cinfo = JSON.parse(await run('inspect', cache, '--json'));
    assert.equal(cinfo.kind, 'cache');
    assert.deepEqual(
      cinfo.labels.map((l: { samples: number }) => l.samples),
      [9, 9, 9, 9],
    );

    const base = JSON.parse(
      await run('baseline', '--cache', cache, '--split', 'ntu60-xview', '--epochs', '30', '--json'),
    );
    assert.equal(base.length, 1);
    assert.equal(base[0].split, 'ntu60-xview');
    assert.equal(base[0].test.samples, 12);
    assert.ok(base[0].test.accuracy >= 0 && base[0].test.accuracy <= 1);
  });

  it('fails with the file and the reason', async () => {
    await assert.rejects(
      run('build', '--raw', join(dir, 'nope'), '--out', join(dir, 'x.cache')),
      /nope: no such folder/,
    );
    await assert.rejects(
      run('build', '--out', join(dir, 'x.cache')),
      /give exactly one of --raw <dir> and --jsonl <file>/,
    );
    await assert.rejects(run('synth', '--out', raw, '--actions', '8,99'), /the synthetic generator has no action 99/);
  });
});
