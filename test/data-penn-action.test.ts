// Penn Action (`indrnn data build --format penn-action`): the MATLAB 5 reader on files the test writes
// (compressed and uncompressed variables, numbers stored in smaller types than their class, both byte
// orders, damaged files), the clips as they land in the cache (penn13, 2D, pixels, labels, meta), and the
// reader against scipy on the real label files where both are at hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDataset } from '../src/data/cache.js';
import { MatFileError, readMat5 } from '../src/data/mat5.js';
import { PENN_ACTIONS } from '../src/data/penn-action-reader.js';
import { indrnn } from './helpers/cli.js';
import { type MatWriteVar, matFile } from './helpers/mat5.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-penn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('MATLAB 5 files (mat5.ts)', () => {
  const vars: MatWriteVar[] = [
    { name: 'action', text: 'golf_swing', compress: false },
    { name: 'x', class: 'double', dims: [2, 3], values: [1.5, 2.5, -3, 4, 5e-3, 6e10] },
    { name: 'y', class: 'double', dims: [2, 3], values: [0, 1, 2, 3, 250, 65535], stored: 'uint16' },
    { name: 'train', class: 'int32', dims: [1, 1], values: [-1], compress: false },
    { name: 'visibility', class: 'uint8', dims: [3, 1], values: [1, 0, 1] },
    { name: 'empty', class: 'double', dims: [0, 0], values: [] },
  ];

  for (const bigEndian of [false, true]) {
    it(`reads compressed and uncompressed variables, as stored or widened (${bigEndian ? 'big' : 'little'}-endian)`, () => {
      const got = readMat5(matFile(vars, { bigEndian }), 'f.mat');
      assert.deepEqual(
        got.map((v) => [v.name, v.kind, v.dims]),
        vars.map((v) => [v.name, 'text' in v ? 'char' : 'numeric', 'text' in v ? [1, v.text.length] : v.dims]),
      );
      const byName = new Map(got.map((v) => [v.name, v]));
      const num = (name: string) => {
        const v = byName.get(name);
        assert.ok(v?.kind === 'numeric', name);
        return v;
      };
      assert.equal((byName.get('action') as { text: string }).text, 'golf_swing');
      assert.deepEqual(Array.from(num('x').data), [1.5, 2.5, -3, 4, 5e-3, 6e10]);
      assert.deepEqual([num('y').class, ...num('y').data], ['double', 0, 1, 2, 3, 250, 65535]);
      assert.deepEqual([num('train').class, ...num('train').data], ['int32', -1]);
      assert.deepEqual([num('visibility').class, ...num('visibility').data], ['uint8', 1, 0, 1]);
      assert.equal(num('empty').data.length, 0);
    });
  }

  it('a char array of several rows reads row by row (MATLAB stores it column-major)', () => {
    // ['ab'; 'cd'] is stored a, c, b, d.
    const v = readMat5(matFile([{ name: 'names', text: 'acbd', dims: [2, 2] }]), 'f.mat')[0];
    assert.ok(v.kind === 'char');
    assert.deepEqual([v.dims, v.text], [[2, 2], 'ab\ncd']);
  });

  it('refuses what it cannot read, naming the file and the variable', () => {
    const good = matFile(vars);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 100), /f\.mat: 100 bytes, too short for a MAT-file header/],
      [Buffer.from('MATLAB 7.3 MAT-file, Platform: GLNXA64'.padEnd(128)), /f\.mat: a MATLAB 7\.3 file \(HDF5\)/],
      [Buffer.alloc(200, 0x41), /f\.mat: not a MATLAB 5 MAT-file/],
      [good.subarray(0, good.length - 5), /f\.mat: variable 6: .*truncated/],
    ];
    // A data element longer than its dimensions say.
    const wrong = matFile([{ name: 'x', class: 'double', dims: [2, 2], values: [1, 2, 3], compress: false }]);
    cases.push([wrong, /f\.mat: variable 'x': 24 bytes of data for 4 values of 8 bytes/]);
    // Compressed bytes that are not zlib.
    const bad = Buffer.from(matFile([{ name: 'x', class: 'double', dims: [1, 1], values: [1] }]));
    bad.fill(0x55, 136);
    cases.push([bad, /f\.mat: variable 1: compressed data do not inflate/]);
    for (const [bytes, message] of cases) {
      assert.throws(
        () => readMat5(bytes, 'f.mat'),
        (e: Error) => e instanceof MatFileError && message.test(e.message),
      );
    }
  });

  it('bounds what a compressed variable may inflate to', () => {
    const big = matFile([{ name: 'z', class: 'double', dims: [1, 100_000], values: new Array(100_000).fill(0) }]);
    assert.ok(big.length < 2000, `a zip bomb in small: ${big.length} bytes`);
    assert.throws(
      () => readMat5(big, 'bomb.mat', 64 * 1024),
      /bomb\.mat: variable 1: inflates to more than 65536 bytes/,
    );
    assert.equal(readMat5(big, 'bomb.mat').length, 1);
  });

  it('reads a compressed element cut short when the matrix it holds is whole (as MATLAB and scipy do)', () => {
    const v: MatWriteVar = {
      name: 'x',
      class: 'double',
      dims: [40, 13],
      values: Array.from({ length: 520 }, (_, i) => i),
    };
    const file = matFile([v]);
    // Drop the zlib stream's end (its checksum and last block marker) and say so in the tag.
    const cut = Buffer.from(file.subarray(0, file.length - 6));
    cut.writeUInt32LE(cut.length - 136, 132);
    const got = readMat5(cut, 'cut.mat')[0];
    assert.ok(got.kind === 'numeric');
    assert.deepEqual(Array.from(got.data), v.values);
  });
});

/** A clip in Penn Action's format: joint j at frame t is at x = 10 t + j, y = 100 + 5 j + t (pixels). */
function pennClip(
  action: string,
  T: number,
  pose = 'front',
  train = 1,
  extra: Partial<Record<string, MatWriteVar>> = {},
) {
  const byJointMajor = (f: (t: number, j: number) => number) =>
    Array.from({ length: 13 * T }, (_, k) => f(k % T, Math.floor(k / T)));
  const vars: Record<string, MatWriteVar> = {
    action: { name: 'action', text: action },
    pose: { name: 'pose', text: pose },
    x: { name: 'x', class: 'double', dims: [T, 13], values: byJointMajor((t, j) => 10 * t + j + 0.25) },
    y: { name: 'y', class: 'double', dims: [T, 13], values: byJointMajor((t, j) => 100 + 5 * j + t), stored: 'uint16' },
    visibility: { name: 'visibility', class: 'uint8', dims: [T, 13], values: byJointMajor((t, j) => (j + t) % 2) },
    train: { name: 'train', class: 'int32', dims: [1, 1], values: [train] },
    bbox: { name: 'bbox', class: 'double', dims: [T, 4], values: new Array(T * 4).fill(1) },
    dimensions: { name: 'dimensions', class: 'double', dims: [1, 3], values: [270, 480, T], stored: 'uint16' },
    nframes: { name: 'nframes', class: 'double', dims: [1, 1], values: [T], stored: 'uint8', compress: false },
    ...extra,
  };
  return matFile(Object.values(vars).filter((v) => v !== undefined));
}

describe('Penn Action clips (--format penn-action)', () => {
  const root = join(dir, 'penn');
  const labels = join(root, 'labels');
  mkdirSync(labels, { recursive: true });
  writeFileSync(join(labels, '0001.mat'), pennClip('baseball_pitch', 4, 'back'));
  writeFileSync(join(labels, '0007.mat'), pennClip('tennis_serve', 3, 'left', -1));
  writeFileSync(join(labels, '0012.mat'), pennClip('squat', 5, 'somewhere'));
  writeFileSync(join(labels, 'README.txt'), 'not a clip');

  const build = (out: string, ...args: string[]) => {
    const r = indrnn('data', 'build', '--format', 'penn-action', ...args, '--out', out, '--float32', '--json');
    assert.equal(r.status, 0, r.stderr);
    return openDataset(out);
  };

  it('reads every clip into penn13 (2D, pixels as given), one body, the 15 actions by name', () => {
    const ds = build(join(dir, 'penn.cache'), '--raw', root);
    assert.deepEqual([ds.count, ds.layout, ds.jointLayout.dims, ds.bodies, ds.joints], [3, 'penn13', 2, 1, 13]);
    assert.deepEqual(
      ds.labels.map((l) => l.name),
      [...PENN_ACTIONS],
    );
    assert.equal(ds.labels.length, 15);
    assert.deepEqual(
      [0, 1, 2].map((i) => [ds.id(i), ds.labels[ds.label(i)].name, ds.length(i)]),
      [
        ['0001', 'baseball pitch', 4],
        ['0007', 'tennis serve', 3],
        ['0012', 'squat', 5],
      ],
    );
    // The clip number as recording, the camera's side as camera (front 1, back 2, left 3, right 4, else 0),
    // the data set's half as the split.
    assert.deepEqual(ds.meta(0), { setup: 0, camera: 2, subject: 0, replication: 0, recording: 1, split: 'train' });
    assert.deepEqual(ds.meta(1), { setup: 0, camera: 3, subject: 0, replication: 0, recording: 7, split: 'test' });
    assert.equal(ds.meta(2).camera, 0);
    // Frame 2, joint 5 of clip 0001: (10*2 + 5 + 0.25, 100 + 25 + 2, 0), x y in pixels, y down as given.
    const raw = ds.raw(0);
    assert.deepEqual([...raw.subarray((2 * 13 + 5) * 3, (2 * 13 + 5) * 3 + 3)], [25.25, 127, 0]);
    assert.equal(raw.length, 4 * 13 * 3);
    assert.ok(raw.every((v, i) => i % 3 !== 2 || v === 0));
    // The labels folder itself reads the same; --split given keeps the data set's own half.
    const given = build(join(dir, 'penn-test.cache'), '--raw', labels, '--split', 'given', '--part', 'test');
    assert.deepEqual([given.count, given.id(0)], [1, '0007']);
  });

  it('errors name the file and the variable', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const cases: [Buffer, RegExp][] = [
      [pennClip('curling', 2), /0001\.mat: action: 'curling' is not a Penn Action action/],
      [
        pennClip('bowl', 2, 'front', 1, {
          x: { name: 'x', class: 'double', dims: [2, 12], values: new Array(24).fill(1) },
        }),
        /0001\.mat: x: expected a T x 13 numeric array, got a 2 x 12 double array/,
      ],
      [pennClip('bowl', 2, 'front', 1, { nframes: undefined }), /0001\.mat: no variable 'nframes'/],
      [
        pennClip('bowl', 2, 'front', 1, { nframes: { name: 'nframes', class: 'double', dims: [1, 1], values: [3] } }),
        /0001\.mat: nframes is 3, but x and y have 2 frames/,
      ],
      [Buffer.from('not a mat file'), /0001\.mat: 14 bytes, too short/],
    ];
    for (const [bytes, why] of cases) {
      writeFileSync(join(bad, '0001.mat'), bytes);
      const r = indrnn('data', 'build', '--format', 'penn-action', '--raw', bad, '--out', join(dir, 'x.cache'));
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, why);
    }
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = indrnn('data', 'build', '--format', 'penn-action', '--raw', empty, '--out', join(dir, 'x.cache'));
    assert.match(r.stderr, /no Penn Action clips \(files named NNNN\.mat, here or in labels\/\)/);
  });
});

describe('the real label files against scipy', () => {
  const real = join(process.cwd(), '..', 'shared', 'data', 'real', 'penn-action', 'labels');
  const scipy = spawnSync('python3', ['-c', 'import scipy.io'], { encoding: 'utf8' });
  const why = !existsSync(real)
    ? `no Penn Action labels at ${real}`
    : scipy.status !== 0
      ? 'python3 with scipy is not installed'
      : null;

  it('gives every variable as scipy.io.loadmat does (every 100th file and two odd ones)', {
    skip: why ?? false,
  }, () => {
    // Every 100th file, and 1605.mat (compressed elements that end early) and 2173.mat (a frame at 0, 0).
    const all = readdirSync(real)
      .filter((f) => f.endsWith('.mat'))
      .sort();
    const names = [...new Set([...all.filter((_, i) => i % 100 === 0), '1605.mat', '2173.mat'])];
    const script = `
import json, sys, scipy.io
out = {}
for f in sys.argv[1:]:
    m = scipy.io.loadmat(f)
    out[f] = {k: (str(v[0]) if v.dtype.kind == 'U' else {'dims': list(v.shape), 'data': v.flatten(order='F').tolist()})
              for k, v in m.items() if not k.startswith('__')}
print(json.dumps(out))`;
    const paths = names.map((f) => join(real, f)).filter((p) => existsSync(p));
    assert.ok(paths.length >= 10, `found ${paths.length} files`);
    const py = spawnSync('python3', ['-c', script, ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(py.status, 0, py.stderr);
    const want = JSON.parse(py.stdout) as Record<string, Record<string, string | { dims: number[]; data: number[] }>>;
    for (const p of paths) {
      const got = readMat5(readFileSync(p), p);
      assert.deepEqual(got.map((v) => v.name).sort(), Object.keys(want[p]).sort(), p);
      for (const v of got) {
        const w = want[p][v.name];
        if (typeof w === 'string') {
          assert.ok(v.kind === 'char', `${p} ${v.name}`);
          assert.equal(v.text, w, `${p} ${v.name}`);
        } else {
          assert.ok(v.kind === 'numeric', `${p} ${v.name}`);
          assert.deepEqual(v.dims, w.dims, `${p} ${v.name}`);
          assert.deepEqual(Array.from(v.data), w.data, `${p} ${v.name}`);
        }
      }
    }
  });
});
