// Bad layout files and bad JSON Lines: `indrnn data build` stops with an error naming the file, the line
// (JSON Lines) and the field, and writes no cache.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseLayout } from '../src/data/layout-file.js';
import { indrnn } from './helpers/cli.js';
import { STICK_LAYOUT, writeStickData } from './helpers/own-data.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-own-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const { layoutFile, jsonl } = writeStickData(dir, 2);

describe('layout files', () => {
  const cases: [string, unknown, RegExp][] = [
    ['parents too short', { ...STICK_LAYOUT, parents: [null, 'pelvis'] }, /: parents: has 2 entries, joints has 7/],
    [
      'unknown parent',
      { ...STICK_LAYOUT, parents: [null, 'pelvis', 'neck', 'chest', 'chest', 'pelvis', 'pelvis'] },
      /: parents\[2\]: joint 'neck' is not in joints/,
    ],
    [
      'parent index out of range',
      { ...STICK_LAYOUT, parents: [null, 0, 1, 1, 1, 0, 9] },
      /: parents\[6\]: joint 9 is outside 0\.\.6/,
    ],
    ['no root', { ...STICK_LAYOUT, parents: [1, 0, 1, 1, 1, 0, 0] }, /: parents: no root/],
    ['cycle', { ...STICK_LAYOUT, parents: [null, 2, 1, 1, 1, 0, 0] }, /: parents\[1\]: joint 'chest' is in a cycle/],
    [
      'duplicate joint',
      { ...STICK_LAYOUT, joints: [...STICK_LAYOUT.joints.slice(0, 6), 'head'] },
      /: joints\[6\]: 'head' is already joints\[2\]/,
    ],
    ['unknown root joint', { ...STICK_LAYOUT, root: ['hips'] }, /: root\[0\]: joint 'hips' is not in joints/],
    ['torsoTop missing', { ...STICK_LAYOUT, torsoTop: undefined }, /: torsoTop: /],
    [
      'same left and right',
      { ...STICK_LAYOUT, leftRight: [['lhand', 'lhand']] },
      /: leftRight\[0\]: left and right are the same joint/,
    ],
    ['bad dims', { ...STICK_LAYOUT, dims: 4 }, /: dims: /],
    ['built-in name', { ...STICK_LAYOUT, name: 'ntu25' }, /: name: is the name of a built-in layout/],
    ['unknown field', { ...STICK_LAYOUT, joint_names: [] }, /: \(layout\): .*joint_names/],
  ];
  for (const [what, json, why] of cases) {
    it(`${what}: the error names the file and the field`, () => {
      assert.throws(
        () => parseLayout(json, 'my.layout.json'),
        (e: Error) => {
          assert.match(e.message, /^my\.layout\.json: /);
          assert.match(e.message, why);
          return true;
        },
      );
    });
  }

  it('data build stops on a bad layout file, naming it, and writes nothing', () => {
    const bad = join(dir, 'bad.layout.json');
    writeFileSync(bad, JSON.stringify({ ...STICK_LAYOUT, root: ['hips'] }));
    const out = join(dir, 'never.cache');
    const r = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', bad, '--out', out);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bad\.layout\.json: root\[0\]: joint 'hips' is not in joints/);
    assert.equal(existsSync(out), false);
    writeFileSync(bad, '{"name": "x",');
    const j = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', bad, '--out', out);
    assert.match(j.stderr, /bad\.layout\.json: not valid JSON/);
  });
});

describe('bad JSON Lines', () => {
  const good = JSON.stringify({
    id: 'ok',
    label: 'a',
    layout: 'stick7',
    frames: [
      [
        [0, 0],
        [0, 1],
        [0, 2],
        [1, 1],
        [-1, 1],
        [1, -1],
        [-1, -1],
      ],
    ],
  });
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"id": "x", ', /rows\.jsonl line 3: not valid JSON/],
    [
      'wrong joint count',
      good.replace('[0,0],', ''),
      /rows\.jsonl line 3: frames\[0\]: expected 7 joints \(layout stick7\), got 6/,
    ],
    [
      'unknown layout',
      good.replace('stick7', 'stick9'),
      /rows\.jsonl line 3: layout: 'stick9' is not a known layout \(known: .*stick7\)/,
    ],
    ['bad subject', good.replace('"id"', '"subject":"three","id"'), /rows\.jsonl line 3: subject: /],
    ['bad split', good.replace('"id"', '"split":"dev","id"'), /rows\.jsonl line 3: split: /],
    [
      'a point with 4 values',
      good.replace('[0,0]', '[0,0,0,0]'),
      /rows\.jsonl line 3: frames\[0\]\[0\]: expected a point/,
    ],
    [
      'a string for a number',
      good.replace('[0,0]', '[0,"0"]'),
      /rows\.jsonl line 3: frames\[0\]\[0\]\[1\]: "0" is not a finite number/,
    ],
  ];
  for (const [what, line, why] of cases) {
    it(`${what}: the error names the file, the line and the field`, () => {
      const file = join(dir, 'rows.jsonl');
      writeFileSync(file, `# a comment\n${good}\n${line}\n`);
      const out = join(dir, 'rows.cache');
      const r = indrnn('data', 'build', '--jsonl', file, '--layout-file', layoutFile, '--out', out);
      assert.notEqual(r.status, 0, what);
      assert.match(r.stderr, why);
      assert.equal(existsSync(out), false);
    });
  }
});
