// Body selection, the binary dataset cache and the users' JSON Lines format.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { selectBodies } from '../src/data/bodies.js';
import { buildJsonlCache } from '../src/data/build.js';
import { CacheWriter, decodeCache, openDataset } from '../src/data/cache.js';
import type { NtuBody, NtuSkeleton } from '../src/data/ntu-reader.js';
import { defaultPreprocessConfig, preprocessSequence } from '../src/data/preprocess.js';
import { parseUserSample, readUserJsonl } from '../src/data/user-format.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-data-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A body whose every joint sits at (x, y, 3) — `wiggle` moves it along x with the frame index. */
function fakeBody(id: string, t: number, x: number, wiggle: number): NtuBody {
  const joints = new Float64Array(25 * 11);
  for (let j = 0; j < 25; j++) joints.set([x + wiggle * Math.sin(t) + j * 0.01, 1 + j * 0.02, 3], j * 11);
  return {
    id,
    clippedEdges: 0,
    handLeftConfidence: 0,
    handLeftState: 0,
    handRightConfidence: 0,
    handRightState: 0,
    isRestricted: 0,
    leanX: 0,
    leanY: 0,
    trackingState: 2,
    jointCount: 25,
    joints,
    jointTracking: new Uint8Array(25).fill(2),
  };
}

describe('body selection', () => {
  it('keeps the two bodies with the most motion, highest first, from three', () => {
    const sk: NtuSkeleton = {
      source: 'three',
      frames: Array.from({ length: 30 }, (_, t) => ({
        bodies: [fakeBody('1', t, 0, 0.01), fakeBody('2', t, 1, 0.3), fakeBody('3', t, 2, 0.1)],
      })),
    };
    const s = selectBodies(sk);
    assert.deepEqual(s.ids, ['2', '3']);
    assert.equal(s.data.length, 30 * 150);
    assert.ok(Math.abs(s.data[0] - 1) < 1e-6); // body '2' first, x of joint 0 at frame 0
  });

  it('zero-fills the second body, drops leading empty frames and holds a briefly lost body', () => {
    const frames = Array.from({ length: 20 }, (_, t) => ({
      bodies: t < 2 || t === 10 ? [] : [fakeBody('7', t, 0.5, 0.2)],
    }));
    const s = selectBodies({ source: 'one', frames });
    assert.equal(s.T, 18);
    assert.deepEqual(Array.from(s.frameIndex.subarray(0, 3)), [2, 3, 4]);
    assert.deepEqual(s.ids, ['7', null]);
    for (let t = 0; t < s.T; t++) assert.ok(s.data.subarray(t * 150 + 75, (t + 1) * 150).every((v) => v === 0));
    const at = (t: number) => s.data.subarray(t * 150, t * 150 + 75);
    assert.deepEqual(at(8), at(7)); // source frame 10 (lost) holds source frame 9
  });

  it('ignores a body seen in very few frames when a real one exists', () => {
    const frames = Array.from({ length: 50 }, (_, t) => ({
      bodies: [fakeBody('1', t, 0, 0.05), ...(t < 3 ? [fakeBody('9', t, 2, 1)] : [])],
    }));
    assert.deepEqual(selectBodies({ source: 'ghost', frames }).ids, ['1', null]);
  });
});

describe('dataset cache', () => {
  const labels = [
    { name: 'sitting down', ntuAction: 8 },
    { name: 'standing up (from sitting position)', ntuAction: 9 },
  ];
  const sample = (T: number, v: number) =>
    Float32Array.from({ length: T * 150 }, (_, i) => (i % 150 < 75 ? v + Math.cos(i) : 0));

  function write(dtype: 'int16' | 'float32'): string {
    const w = new CacheWriter({ layout: 'ntu25', bodies: 2, labels, dtype });
    w.add({
      id: 'S001C001P001R001A008',
      raw: sample(12, 1),
      T: 12,
      label: 0,
      setup: 1,
      camera: 1,
      subject: 1,
      replication: 1,
    });
    w.add({
      id: 'S001C002P003R001A009',
      raw: sample(7, -2),
      T: 7,
      label: 1,
      setup: 1,
      camera: 2,
      subject: 3,
      replication: 1,
    });
    w.add({
      id: 'S001C001P003R002A000',
      raw: sample(5, 0.5),
      T: 5,
      label: -1,
      frameLabels: Int32Array.from([-1, 0, 0, 1, -1]),
    });
    const path = join(dir, `${dtype}.cache`);
    w.write(path);
    return path;
  }

  it('stores samples, labels, metadata and per-frame labels; int16 within half a quantum', () => {
    const ds = openDataset(write('int16'));
    assert.equal(ds.count, 3);
    assert.deepEqual(ds.labels, labels);
    assert.deepEqual([ds.length(0), ds.length(1), ds.length(2)], [12, 7, 5]);
    assert.deepEqual([ds.label(0), ds.label(1), ds.label(2)], [0, 1, -1]);
    assert.deepEqual(ds.meta(1), { setup: 1, camera: 2, subject: 3, replication: 1, recording: 0, split: null });
    assert.equal(ds.id(1), 'S001C002P003R001A009');
    const raw = ds.raw(1);
    const want = sample(7, -2);
    for (let i = 0; i < raw.length; i++) assert.ok(Math.abs(raw[i] - want[i]) <= ds.header.quantum / 2 + 1e-7);
    assert.deepEqual(Array.from(ds.frameLabels(2)!), [-1, 0, 0, 1, -1]);
    assert.deepEqual(Array.from(ds.frameLabels(0)!), new Array(12).fill(-1));
  });

  it('float32 is exact, and frames(i) is the preprocessed [T_i, 150]', () => {
    const ds = openDataset(write('float32'));
    assert.deepEqual(ds.raw(0), sample(12, 1));
    assert.deepEqual(ds.frames(0), preprocessSequence(defaultPreprocessConfig(), sample(12, 1), 12));
    assert.equal(ds.frameSize, 150);
  });

  it('selects a split part at load time and subsets by index', () => {
    const path = write('int16');
    assert.deepEqual(openDataset(path, { split: 'ntu60-xsub', part: 'train' }).id(0), 'S001C001P001R001A008');
    const test = openDataset(path, { split: 'ntu60-xview', part: 'test' });
    assert.deepEqual([test.count, test.id(0)], [1, 'S001C001P001R001A008']);
    const sub = openDataset(path).subset([2, 0]);
    assert.deepEqual([sub.id(0), sub.length(1)], ['S001C001P003R002A000', 12]);
    assert.throws(() => sub.length(2), /sample index 2 is outside 0\.\.1/);
  });

  it('rejects other files, truncated caches and a preprocess config of another layout', () => {
    assert.throws(() => decodeCache(Buffer.from('hello world, not a cache'), 'x.bin'), /x\.bin: not a skeleton cache/);
    const bytes = readFileSync(write('int16'));
    assert.throws(
      () => decodeCache(bytes.subarray(0, bytes.length - 10), 'cut.cache'),
      /cut\.cache: sections\.frameLabels: file has \d+ bytes, header needs \d+ \(truncated\?\)/,
    );
    assert.throws(
      () => decodeCache(bytes, 'c', { preprocess: defaultPreprocessConfig('coco17', 2) }),
      /cache holds ntu25 x 2 bodies, preprocess config expects coco17 x 2/,
    );
  });

  it('checks what is added', () => {
    const w = new CacheWriter({ layout: 'ntu25', bodies: 2, labels });
    assert.throws(
      () => w.add({ id: 'a', raw: new Float32Array(149), T: 1, label: 0 }),
      /a: 149 values, expected T\*B\*J\*3 = 1\*150 = 150/,
    );
    assert.throws(
      () => w.add({ id: 'b', raw: new Float32Array(150), T: 1, label: 2 }),
      /label index 2 is outside -1\.\.1/,
    );
  });
});

describe("users' JSON Lines format", () => {
  const coco = (x: number) => Array.from({ length: 17 }, (_, j) => [x + j, 2 * j]);

  it('reads one-body 2D and two-body 3D samples and builds a cache with their labels', () => {
    const path = join(dir, 'mine.jsonl');
    const lines = [
      JSON.stringify({ id: 'a', label: 'wave', layout: 'coco17', frames: [coco(0), coco(1), coco(2)] }),
      '# a comment',
      JSON.stringify({
        id: 'b',
        label: 'bow',
        layout: 'coco17',
        frames: [[coco(5), coco(6)]].map((f) => f.map((b) => b.map(([x, y]) => [x, y, 1]))),
      }),
      JSON.stringify({ id: 'c', layout: 'coco17', frames: [coco(0), coco(1)], frameLabels: [null, 'wave'] }),
    ];
    writeFileSync(path, `${lines.join('\n')}\n`);
    const samples = readUserJsonl(path);
    assert.deepEqual(
      samples.map((s) => [s.id, s.T, s.bodies, s.joints]),
      [
        ['a', 3, 1, 17],
        ['b', 1, 2, 17],
        ['c', 2, 1, 17],
      ],
    );
    assert.deepEqual(Array.from(samples[0].data.subarray(3, 6)), [1, 2, 0]); // joint 1, z = 0 for 2D
    const out = join(dir, 'mine.cache');
    buildJsonlCache({ jsonl: path, out, dtype: 'float32' });
    const ds = openDataset(out);
    assert.deepEqual(
      ds.labels.map((l) => l.name),
      ['bow', 'wave'],
    );
    assert.deepEqual([ds.layout, ds.bodies, ds.frameSize], ['coco17', 2, 102]);
    assert.deepEqual([ds.label(0), ds.label(1), ds.label(2)], [1, 0, -1]);
    assert.deepEqual(Array.from(ds.frameLabels(2)!), [-1, 1]);
    assert.ok(
      ds
        .raw(0)
        .subarray(51, 102)
        .every((v) => v === 0),
      'second body zero-filled',
    );
  });

  it('says which line and which frame is wrong', () => {
    assert.throws(
      () => parseUserSample({ label: 'x', layout: 'coco17', frames: [coco(0).slice(1)] }, 'f.jsonl line 4'),
      {
        name: 'RangeError',
        message: 'f.jsonl line 4: frames[0]: expected 17 joints (layout coco17), got 16',
      },
    );
    assert.throws(() => parseUserSample({ label: 'x', layout: 'kinect', frames: [] }, 'l2'), /l2: layout/);
    assert.throws(
      () => parseUserSample({ label: 'x', layout: 'coco17', frames: [coco(0), coco(1)], frameLabels: ['x'] }, 'l3'),
      /frameLabels has 1 entries for 2 frames/,
    );
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"label": "x",\n');
    assert.throws(() => readUserJsonl(bad), /bad\.jsonl line 1: not valid JSON/);
  });
});
