// The format and task registries drive the command line: `data build` lists and checks the registered
// formats and their flags; each task's options schema declares its `train` flags, checks them (naming the
// flag), fills in the defaults, and reads the options of checkpoints written before it existed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DATA_FORMATS } from '../src/data/formats.js';
import { createTask, parseTaskSpec } from '../src/train/tasks/index.js';
import { indrnn } from './helpers/cli.js';

describe('data formats registry', () => {
  it('data build --help lists every registered format with what its folder holds, and its flags', () => {
    const r = indrnn('data', 'build', '--help');
    assert.equal(r.status, 0, r.stderr);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const f of DATA_FORMATS) {
      assert.ok(help.includes(`${f.name} (${f.folder})`), `--format help names ${f.name}`);
      assert.ok(help.includes(f.description), `the description names ${f.description}`);
      assert.ok(help.includes(`${f.name} ${f.bodies}`), `--bodies help gives ${f.name}'s default`);
    }
    assert.match(help, /--classes <ids> pku-mmd: class numbers/);
    assert.match(help, /--actions <ids> ntu: action ids/);
  });

  it('an unknown format is refused, listing the known ones; a flag of another format names its format', () => {
    const unknown = indrnn('data', 'build', '--format', 'kinetics', '--raw', 'x', '--out', 'y');
    assert.notEqual(unknown.status, 0);
    const known = DATA_FORMATS.map((f) => f.name).join(', ');
    assert.ok(unknown.stderr.includes(`expected one of ${known}, got 'kinetics'`), unknown.stderr);
    const other = indrnn('data', 'build', '--format', 'nucla', '--raw', 'x', '--out', 'y', '--untrimmed');
    assert.equal(other.status, 1);
    assert.match(other.stderr, /--untrimmed goes with --format pku-mmd/);
    const bad = indrnn('data', 'build', '--raw', 'x', '--out', 'y', '--actions', '1,two');
    assert.match(bad.stderr, /--actions.*expected comma-separated integers, got '1,two'/);
  });
});

describe('task options schemas', () => {
  it('train --help shows each task flag with its task and the schema default', () => {
    const help = indrnn('train', '--help').stdout.replace(/\s+/g, ' ');
    assert.match(help, /--seq-len <T> adding: sequence length \(default: 200\)/);
    assert.match(help, /--segments <T> skeleton: frames per sequence, one from each of T segments \(default: 20\)/);
    assert.match(help, /--no-augment skeleton: no training augmentation/);
  });

  it('a bad option is refused naming the flag, on the command line and from a stored spec', () => {
    const r = indrnn('train', '--task', 'skeleton', '--cache', 'none.cache', '--center', 'middle');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--center.*expected one of first-frame, per-frame, got 'middle'/);
    assert.throws(
      () => createTask({ name: 'skeleton', options: { cache: 'none.cache', segments: 0 } }, 1),
      /task skeleton: --segments: expected an integer >= 1, got 0/,
    );
    assert.throws(
      () => parseTaskSpec({ name: 'skeleton', options: { cache: 'c', viewAlign: 'sideways' } }),
      /--view-align: expected one of none, yaw, full, got 'sideways'/,
    );
    assert.throws(() => parseTaskSpec({ name: 'seq-image', options: {} }), /needs --data DIR/);
    assert.throws(() => parseTaskSpec({ name: 'chess', options: {} }), /unknown task 'chess' \(known: adding/);
  });

  it('reads the options of checkpoints written before the schemas, defaults filled in, and its own output again', () => {
    const old = [
      { name: 'adding', options: { seqLen: 10, mode: 'rows' } },
      { name: 'seq-image', options: { dataDir: '/d', mode: 'pixels', permute: true, trainLimit: 100 } },
      { name: 'skeleton', options: { mode: 'rows', cache: 'c', sampling: 'rate', fps: 15, augment: false } },
    ];
    const parsed = old.map(parseTaskSpec);
    assert.deepEqual(parsed[0].options, { seqLen: 10, evalSize: 1000 });
    assert.deepEqual(parsed[1].options, {
      dataDir: '/d',
      mode: 'pixels',
      permute: true,
      trainLimit: 100,
      testLimit: 0,
    });
    assert.deepEqual(parsed[2].options, {
      cache: 'c',
      split: 'ntu60-xsub',
      sampling: 'rate',
      segments: 20,
      fps: 15,
      window: 32,
      warmup: 3,
      rotateDeg: 45,
      augment: false,
      validation: 0.1, // runs from before validation parts resume with one (the trainer warns)
    }); // features: the task's default for its data (a checkpoint without them reads as joints: checkpoint.ts)
    assert.deepEqual(parsed.map(parseTaskSpec), parsed, 'a stored spec reads back as itself');
    assert.equal(createTask(old[0], 1).seqLen, 10);
  });
});
