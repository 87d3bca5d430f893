// Splits for own data: each form places samples as docs/data.md documents, in the library, in a cache
// opened with a split, and through `indrnn data build --split --part` (with its warning when a class gets
// no training sample).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CacheWriter, openDataset, splitIndices } from '../src/data/cache.js';
import {
  assignSplit,
  classesMissingFromTraining,
  parseSplit,
  type Split,
  type SplitSample,
  splitTestsNothing,
} from '../src/data/split-spec.js';
import { indrnn } from './helpers/cli.js';
import { writeStickData } from './helpers/own-data.js';

/** n samples: subject = i % 5 + 1, camera = i % 3 + 1, recording = i + 1, label = i % 4, given split by parity. */
function samples(n: number): SplitSample[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `x${i}`,
    label: i % 4,
    subject: (i % 5) + 1,
    camera: (i % 3) + 1,
    recording: i + 1,
    split: i % 2 === 0 ? 1 : 2,
  }));
}

const place = (split: string, list = samples(40)) => assignSplit(list, parseSplit(split), 'test data');

describe('split forms', () => {
  it('subjects:, cameras: and recordings: put the listed ids in training and everything else in test', () => {
    const list = samples(40);
    const bySubject = place('subjects:1,3', list);
    assert.deepEqual(
      bySubject,
      list.map((s) => ([1, 3].includes(s.subject) ? 'train' : 'test')),
    );
    const byCamera = place('cameras:1,2', list);
    assert.deepEqual(
      byCamera,
      list.map((s) => (s.camera === 3 ? 'test' : 'train')),
    );
    const byRecording = place('recordings:1-10,35', list);
    assert.deepEqual(
      byRecording,
      list.map((s) => (s.recording <= 10 || s.recording === 35 ? 'train' : 'test')),
    );
  });

  it("given: each sample's own split; a sample without one is an error naming it", () => {
    const list = samples(10);
    assert.deepEqual(
      place('given', list),
      list.map((s) => (s.split === 1 ? 'train' : 'test')),
    );
    const missing = samples(3);
    missing[1].split = 0;
    assert.throws(() => place('given', missing), /test data: sample 'x1' has no "split"/);
  });

  it('all: every sample trains and none tests, by design (filters narrow it as any split)', () => {
    assert.ok(place('all').every((p) => p === 'train'));
    assert.ok(splitTestsNothing(parseSplit('all')) && splitTestsNothing(parseSplit('all+train-cameras:1')));
    assert.ok(!splitTestsNothing(parseSplit('subjects:1-100')));
  });

  it('random:F is stratified by class, seeded, and the same for every call; another seed gives another split', () => {
    const list = samples(400); // 100 per class
    const a = place('random:0.2', list);
    assert.deepEqual(place('random:0.2:1', list), a, 'seed 1 is the default');
    for (let label = 0; label < 4; label++) {
      const test = list.filter((s, i) => s.label === label && a[i] === 'test').length;
      assert.equal(test, 20, `class ${label}: 20 % of 100 test`);
    }
    const b = place('random:0.2:7', list);
    assert.notDeepEqual(b, a);
    assert.equal(b.filter((p) => p === 'test').length, 80);
  });

  it('NTU protocols need NTU names, and say which forms fit other data', () => {
    assert.throws(() => place('ntu60-xsub'), /sample 'x0' has no NTU name.*subjects:\.\.\., cameras:\.\.\., given/);
    const ntu = [{ ...samples(1)[0], id: 'S001C002P001R001A001' }];
    assert.deepEqual(place('ntu60-xsub', ntu), ['train']);
    assert.deepEqual(place('ntu60-xview', ntu), ['train']);
  });

  it('a sample without the id a split needs is an error naming the sample and the field', () => {
    const list = samples(2);
    list[1].subject = 0;
    assert.throws(() => place('subjects:1', list), /sample 'x1' has no subject/);
  });

  it('bad split texts are refused with the known forms', () => {
    for (const [text, why] of [
      ['xsub', /unknown split 'xsub' \(known forms: .*subjects:1,3,5-9.*random:0.2/],
      ['subjects:', /give the training subjects/],
      ['subjects:1,a', /'a' is not an id or a range/],
      ['cameras:3-1', /range '3-1' is empty/],
      ['random:1.5', /test fraction must be in \(0, 1\)/],
      ['random:0.2:x', /seed must be a whole number/],
      ['given:1', /given takes no value/],
      ['all:0.1', /all takes no value/],
    ] as const)
      assert.throws(() => parseSplit(text), why, text);
    const s: Split = parseSplit('subjects:1-3,7');
    assert.deepEqual(s.kind === 'subjects' ? [...s.train] : null, [1, 2, 3, 7]);
  });

  it('part filters narrow one part by another field: train on one camera of some recordings, test per camera', () => {
    const list = samples(40); // camera = i % 3 + 1, recording = i + 1
    const held = (s: SplitSample) => s.recording > 20;
    assert.deepEqual(
      place('recordings:1-20+train-cameras:2', list),
      list.map((s) => (held(s) ? 'test' : s.camera === 2 ? 'train' : null)),
    );
    assert.deepEqual(
      place('recordings:1-20+train-cameras:2+test-cameras:1,3', list),
      list.map((s) => (held(s) ? (s.camera === 2 ? null : 'test') : s.camera === 2 ? 'train' : null)),
    );
    assert.deepEqual(
      place('recordings:1-20 + test-cameras:3', list),
      list.map((s) => (held(s) ? (s.camera === 3 ? 'test' : null) : 'train')),
      'spaces around + are allowed; the training part is left whole',
    );
    assert.deepEqual(
      place('cameras:1,2+test-subjects:1+test-recordings:1-30', list),
      list.map((s) => (s.camera !== 3 ? 'train' : s.subject === 1 && s.recording <= 30 ? 'test' : null)),
      'filters on one part all apply',
    );
    const noCamera = samples(3);
    noCamera[2].camera = 0;
    assert.throws(
      () => place('recordings:1-2+test-cameras:1', noCamera),
      /sample 'x2' has no camera, so split filter test-cameras:\.\.\. cannot place it/,
    );
    for (const [text, why] of [
      ['recordings:1-20+cameras:2', /split filter 'cameras:2' is not train-FIELD:ids or test-FIELD:ids/],
      ['recordings:1-20+train-cameras:', /give the cameras to keep/],
      ['recordings:1-20+test-views:1', /is not train-FIELD:ids/],
      ['recordings:1-20+train-cameras:x', /split train-cameras: 'x' is not an id/],
      ['xsub+train-cameras:1', /unknown split 'xsub'/],
    ] as const)
      assert.throws(() => parseSplit(text), why, text);
  });

  it('names the classes a split leaves out of training', () => {
    const list = samples(8); // labels 0..3, subjects 1..5
    const parts = place('subjects:1,2', list); // subjects 1 and 2: i = 0, 1, 5, 6, labels 0, 1, 1, 2
    assert.deepEqual(
      classesMissingFromTraining(
        list.map((s) => s.label),
        parts,
        ['a', 'b', 'c', 'd'],
      ),
      ['d'],
    );
  });
});

describe('splits on caches and in data build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-splits-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // 4 subjects x 2 cameras x 3 actions; subject 1's samples say "split": "test".
  const { layoutFile, jsonl } = writeStickData(dir);

  it('a cache keeps subject, camera, take, recording and the given split per sample; openDataset splits on them', () => {
    const w = new CacheWriter({ layout: 'kinect20', bodies: 1, labels: [{ name: 'a', ntuAction: null }] });
    const T = 2;
    const raw = new Float32Array(T * 20 * 3).fill(0.5);
    w.add({ id: 'p', raw, T, label: 0, subject: 4, camera: 2, replication: 3, recording: 250, split: 'test' });
    w.add({ id: 'q', raw, T, label: 0, subject: 5, camera: 1, replication: 1, recording: 5, split: 'train' });
    const path = join(dir, 'meta.cache');
    w.write(path);
    const ds = openDataset(path);
    assert.deepEqual(ds.meta(0), { setup: 0, camera: 2, subject: 4, replication: 3, recording: 250, split: 'test' });
    assert.deepEqual(splitIndices(ds, 'given', 'train'), [1]);
    assert.deepEqual(splitIndices(ds, 'recordings:1-249', 'test'), [0]);
    assert.deepEqual(splitIndices(ds, 'recordings:1-249+test-cameras:2', 'test'), [0]);
    assert.deepEqual(splitIndices(ds, 'recordings:1-249+test-cameras:1,3', 'test'), []);
    assert.deepEqual(splitIndices(ds, 'recordings:1-249+train-cameras:2', 'train'), []);
    assert.equal(openDataset(path, { split: 'cameras:2', part: 'train' }).id(0), 'p');
  });

  const build = (split: string, part: string) => {
    const out = join(dir, `${split.replace(/[:,]/g, '_')}-${part}.cache`);
    const r = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', layoutFile, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const all = openDataset(out);
    const p = indrnn(
      'data',
      'build',
      '--jsonl',
      jsonl,
      '--layout-file',
      layoutFile,
      '--out',
      out,
      '--split',
      split,
      '--part',
      part,
    );
    assert.equal(p.status, 0, p.stderr);
    return { all: all.count, part: openDataset(out), stderr: p.stderr };
  };

  it('data build --split subjects: / cameras: / given / random: keeps the asked part', () => {
    const subjects = build('subjects:2,3,4', 'test');
    assert.equal(subjects.all, 24);
    assert.equal(subjects.part.count, 6);
    for (let i = 0; i < subjects.part.count; i++) assert.equal(subjects.part.meta(i).subject, 1);
    const cameras = build('cameras:1', 'train');
    assert.equal(cameras.part.count, 12);
    for (let i = 0; i < cameras.part.count; i++) assert.equal(cameras.part.meta(i).camera, 1);
    const given = build('given', 'test');
    assert.equal(given.part.count, 6);
    for (let i = 0; i < given.part.count; i++) assert.equal(given.part.meta(i).split, 'test');
    const random = build('random:0.25', 'test');
    assert.equal(random.part.count, 6); // 2 of each class's 8
    for (let k = 0; k < 3; k++)
      assert.equal([...Array(6).keys()].filter((i) => random.part.label(i) === k).length, 2, `class ${k}`);
  });

  it('a split that leaves a class out of training says so on stderr (and still builds)', () => {
    const w = join(dir, 'one-class.jsonl');
    const lines = [
      { id: 'a', label: 'jump', subject: 1 },
      { id: 'b', label: 'jump', subject: 2 },
      { id: 'c', label: 'sit', subject: 2 },
    ].map((s) => JSON.stringify({ ...s, layout: 'coco17', frames: [Array.from({ length: 17 }, () => [1, 2])] }));
    writeFileSync(w, lines.join('\n'));
    const r = indrnn('data', 'build', '--jsonl', w, '--out', join(dir, 'x.cache'), '--split', 'subjects:1');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: the split leaves 1 class\(es\) out of training: sit/);
  });
});
