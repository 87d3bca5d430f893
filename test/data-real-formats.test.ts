// The N-UCLA and PKU-MMD readers on tiny files the test writes in the real formats (see
// ../shared/data/real/README.md): what lands in the cache (layout, bodies, labels, meta, frames, per-frame
// labels), splits on the stored ids, and errors that name the file, the line and the field.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDataset } from '../src/data/cache.js';
import { indrnn } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-formats-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a cache with the CLI (float32, so that positions compare exactly); returns it opened. */
function build(out: string, ...args: string[]) {
  const r = indrnn('data', 'build', ...args, '--out', out, '--float32', '--json');
  assert.equal(r.status, 0, r.stderr);
  return openDataset(out);
}

describe('N-UCLA clips (--format nucla)', () => {
  const raw = join(dir, 'nucla');
  mkdirSync(raw);
  /** A clip of T frames whose joint j at frame t is (t, j, seed) / 100. */
  const clip = (name: string, label: number, T: number, seed: number, joints = 20) =>
    writeFileSync(
      join(raw, `${name}.json`),
      JSON.stringify({
        file_name: name,
        skeletons: Array.from({ length: T }, (_, t) =>
          Array.from({ length: joints }, (_, j) => [t / 100, j / 100, 2 + seed / 100]),
        ),
        label,
      }),
    );
  clip('a01_s01_e00_v01', 1, 5, 1);
  clip('a08_s02_e01_v03', 7, 4, 2);
  clip('a12_s03_e04_v02', 10, 6, 3);
  writeFileSync(join(raw, 'README.txt'), 'not a clip');

  it('reads every clip: kinect20, one body, label names, subject / view / take from the file name', () => {
    const ds = build(join(dir, 'nucla.cache'), '--format', 'nucla', '--raw', raw);
    assert.deepEqual([ds.count, ds.layout, ds.bodies, ds.joints], [3, 'kinect20', 1, 20]);
    assert.equal(ds.labels.length, 10);
    assert.equal(ds.labels[0].name, 'pick up with one hand');
    assert.deepEqual(
      [0, 1, 2].map((i) => [ds.id(i), ds.labels[ds.label(i)].name, ds.length(i)]),
      [
        ['a01_s01_e00_v01', 'pick up with one hand', 5],
        ['a08_s02_e01_v03', 'donning', 4],
        ['a12_s03_e04_v02', 'carry', 6],
      ],
    );
    assert.deepEqual(ds.meta(1), { setup: 0, camera: 3, subject: 2, replication: 1, recording: 0, split: null });
    const r = ds.raw(2); // [6, 1, 20, 3]
    assert.deepEqual([...r.subarray((3 * 20 + 7) * 3, (3 * 20 + 7) * 3 + 3)], [0.03, 0.07, 2.03].map(Math.fround));
  });

  it('the cross-view split (cameras:1,2) tests on view 3', () => {
    const ds = build(
      join(dir, 'nucla-xview.cache'),
      '--format',
      'nucla',
      '--raw',
      raw,
      '--split',
      'cameras:1,2',
      '--part',
      'test',
    );
    assert.deepEqual([ds.count, ds.id(0)], [1, 'a08_s02_e01_v03']);
  });

  it('--bodies 2 pads a zero second body', () => {
    const ds = build(join(dir, 'nucla-2.cache'), '--format', 'nucla', '--raw', raw, '--bodies', '2');
    assert.equal(ds.bodies, 2);
    assert.ok(
      ds
        .raw(0)
        .subarray(60, 120)
        .every((v) => v === 0),
    );
  });

  it('errors name the file and the field', () => {
    const bad = join(dir, 'nucla-bad');
    mkdirSync(bad);
    const write = (name: string, json: unknown) =>
      writeFileSync(join(bad, `${name}.json`), typeof json === 'string' ? json : JSON.stringify(json));
    const frame = Array.from({ length: 20 }, () => [0, 0, 1]);
    const cases: [unknown, RegExp][] = [
      [{ skeletons: [frame], label: 3 }, /a05_s01_e00_v01\.json: label: 3, but action a05 in the file name is label 5/],
      [
        { skeletons: [frame, frame.slice(1)], label: 5 },
        /a05_s01_e00_v01\.json: skeletons\[1\]: expected 20 joints, got 19/,
      ],
      [
        { skeletons: [[...frame.slice(1), [0, 'x', 1]]], label: 5 },
        /a05_s01_e00_v01\.json: skeletons\[0\]\[19\]\[1\]: "x" is not a number/,
      ],
      [
        // JSON text: JSON.parse reads 1e999 as Infinity (JSON.stringify would write it as null)
        `{"skeletons": [${JSON.stringify([...frame.slice(1), [0, 1, 1]]).replace('[0,1,1]]', '[0,1e999,1]]')}], "label": 5}`,
        /a05_s01_e00_v01\.json: skeletons\[0\]\[19\]\[1\]: Infinity \(a number beyond ±1\.8e308, such as 1e999\) is out of range for a 32-bit float/,
      ],
      [{ skeletons: [frame] }, /a05_s01_e00_v01\.json: label: /],
    ];
    for (const [json, why] of cases) {
      write('a05_s01_e00_v01', json);
      const r = indrnn('data', 'build', '--format', 'nucla', '--raw', bad, '--out', join(bad, 'x.cache'));
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, why);
    }
  });
});

describe('PKU-MMD recordings (--format pku-mmd)', () => {
  const raw = join(dir, 'pku');
  mkdirSync(join(raw, 'skeleton'), { recursive: true });
  mkdirSync(join(raw, 'label'));
  writeFileSync(
    join(raw, 'actions.csv'),
    'label,action\n3,"brushing teeth"\n14,"handshaking"\n16,"hugging other person"\n47,"use a fan (with hand or paper)/feeling warm"\n',
  );
  /** T frames; value k of frame t is t + k / 1000; the second person is absent (zeros) in frame 0. */
  const recording = (id: string, T: number, labels: string) => {
    const lines = Array.from({ length: T }, (_, t) =>
      Array.from({ length: 150 }, (_, k) => (t === 0 && k >= 75 ? 0 : t + k / 1000).toFixed(6)).join(' '),
    );
    writeFileSync(join(raw, 'skeleton', `${id}.txt`), `${lines.join('\n')}\n`);
    writeFileSync(join(raw, 'label', `${id}.txt`), labels);
  };
  recording('0005-M', 30, '14,2,5,2\n16,10,14,1\n3,20,25,2\n');
  recording('0251-M', 20, '16,0,3,2\n14,8,19,2\n');

  it('cuts trimmed clips at the intervals of the asked classes, named as in actions.csv with NTU ids', () => {
    const ds = build(join(dir, 'pku.cache'), '--format', 'pku-mmd', '--raw', raw, '--classes', '14,16');
    assert.deepEqual([ds.count, ds.layout, ds.bodies, ds.header.fps], [4, 'ntu25', 2, 30]);
    assert.deepEqual(ds.labels, [
      { name: 'handshaking', ntuAction: 58 },
      { name: 'hugging other person', ntuAction: 55 },
    ]);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => [ds.label(i), ds.length(i), ds.meta(i).recording, ds.meta(i).camera]),
      [
        [0, 4, 5, 2],
        [1, 5, 5, 2],
        [1, 4, 251, 2],
        [0, 12, 251, 2],
      ],
    );
    const clip = ds.raw(0); // frames 2..5 of recording 5
    assert.equal(clip[0], Math.fround(2));
    assert.equal(clip[149], Math.fround(2.149));
    const first = ds.raw(2); // from frame 0 of 0251: second person absent
    assert.ok(first.subarray(75, 150).every((v) => v === 0));
  });

  it('--split recordings:1-249 tests on the recordings numbered 250 and above', () => {
    const ds = build(
      join(dir, 'pku-test.cache'),
      '--format',
      'pku-mmd',
      '--raw',
      raw,
      '--classes',
      '14,16',
      '--split',
      'recordings:1-249',
      '--part',
      'test',
    );
    assert.equal(ds.count, 2);
    assert.ok([0, 1].every((i) => ds.meta(i).recording === 251));
  });

  it('--untrimmed keeps whole recordings with a label per frame (-1 outside the asked classes)', () => {
    const ds = build(
      join(dir, 'pku-untrimmed.cache'),
      '--format',
      'pku-mmd',
      '--raw',
      raw,
      '--classes',
      '14,16',
      '--untrimmed',
    );
    assert.deepEqual([ds.count, ds.length(0), ds.label(0)], [2, 30, -1]);
    const fl = ds.frameLabels(0)!;
    const expected = Array.from({ length: 30 }, (_, t) => (t >= 2 && t <= 5 ? 0 : t >= 10 && t <= 14 ? 1 : -1));
    assert.deepEqual([...fl], expected);
  });

  it('without --classes every class that occurs is kept', () => {
    const ds = build(join(dir, 'pku-all.cache'), '--format', 'pku-mmd', '--raw', raw);
    assert.deepEqual(
      ds.labels.map((l) => l.name),
      ['brushing teeth', 'handshaking', 'hugging other person'],
    );
    assert.equal(ds.count, 5);
  });

  it('errors name the file, the line and the field', () => {
    const bad = join(dir, 'pku-bad');
    mkdirSync(join(bad, 'skeleton'), { recursive: true });
    mkdirSync(join(bad, 'label'));
    writeFileSync(join(bad, 'actions.csv'), 'label,action\n14,"handshaking"\n');
    const line = Array.from({ length: 150 }, () => '0.5').join(' ');
    const run = () => indrnn('data', 'build', '--format', 'pku-mmd', '--raw', bad, '--out', join(bad, 'x.cache'));
    writeFileSync(join(bad, 'skeleton', '0007-M.txt'), `${line}\n${line}\n`);
    writeFileSync(join(bad, 'label', '0007-M.txt'), '14,0,1,2\n14,x,1,2\n');
    assert.match(run().stderr, /label[/\\]0007-M\.txt line 2: start: 'x' is not a whole number/);
    writeFileSync(join(bad, 'label', '0007-M.txt'), '14,0,1,2\n');
    writeFileSync(join(bad, 'skeleton', '0007-M.txt'), `${line}\n${line.slice(4)}\n`);
    assert.match(
      run().stderr,
      /skeleton[/\\]0007-M\.txt line 2: expected 150 numbers \(2 persons x 25 joints x 3\), got 149/,
    );
    writeFileSync(join(bad, 'skeleton', '0007-M.txt'), `${line}\n${line.replace('0.5', 'nan?')}\n`);
    assert.match(run().stderr, /skeleton[/\\]0007-M\.txt line 2: value 1: 'nan\?' is not a number/);
    writeFileSync(join(bad, 'skeleton', '0007-M.txt'), `${line}\n${line}\n`);
    writeFileSync(join(bad, 'label', '0007-M.txt'), '15,0,1,2\n');
    assert.match(run().stderr, /label[/\\]0007-M\.txt: label 15 is not a class of actions\.csv/);
    writeFileSync(join(bad, 'actions.csv'), 'label,action\nfourteen,"handshaking"\n');
    assert.match(run().stderr, /actions\.csv line 2: label: 'fourteen' is not a class number/);
    assert.equal(existsSync(join(bad, 'x.cache')), false);
  });
});
