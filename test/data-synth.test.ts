// The synthetic NTU-format generator: files any NTU reader accepts, reproducible from the seed,
// realistic structure (lengths, bodies, tracking), streams with per-frame labels, and the designed
// difficulty (time-reversed pairs that a time-averaged pose cannot tell apart).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { meanPoseFeatures } from '../src/data/baseline.js';
import { selectBodies } from '../src/data/bodies.js';
import { buildNtuCache } from '../src/data/build.js';
import { openDataset } from '../src/data/cache.js';
import { parseNtuName } from '../src/data/ntu-name.js';
import { readSkeletonFile, skeletonStats } from '../src/data/ntu-reader.js';
import { defaultPreprocessConfig } from '../src/data/preprocess.js';
import { writeSynthDataset } from '../src/data/synth/dataset.js';
import { makePerformance } from '../src/data/synth/generate.js';

const root = mkdtempSync(join(tmpdir(), 'indrnn-synth-'));
after(() => rmSync(root, { recursive: true, force: true }));
const small = {
  subjects: 2,
  replications: 1,
  cameras: [1, 2],
  actions: [8, 9, 23, 38, 58],
  streams: 1,
  streamSeconds: 8,
};

describe('synthetic generator', async () => {
  const dirA = join(root, 'a');
  const report = await writeSynthDataset({ out: dirA, seed: 5, jobs: 1, ...small });

  // (Generation speed is a benchmark figure in docs/data.md, not a test: timed tests flake on loaded machines.)
  it('writes genuine NTU files, one per performer x camera x replication x action', () => {
    assert.equal(report.files, 2 * 2 * 1 * 5);
    const names = readdirSync(dirA)
      .filter((f) => f.endsWith('.skeleton'))
      .sort();
    assert.equal(names.length, 20);
    assert.deepEqual(parseNtuName(names[0]), { setup: 1, camera: 1, performer: 1, replication: 1, action: 8 });
    const text = readFileSync(join(dirA, names[0]), 'latin1');
    assert.ok(text.includes('\r\n'), 'CRLF like the released files');
  });

  it('is read back by the reader: lengths 40-200 frames, 25 joints, two bodies for two-person actions', () => {
    for (const f of readdirSync(dirA).filter((x) => x.endsWith('.skeleton'))) {
      const sk = readSkeletonFile(join(dirA, f));
      const st = skeletonStats(sk);
      assert.ok(st.frames >= 40 && st.frames <= 200, `${f}: ${st.frames} frames`);
      assert.deepEqual(st.joints, [25]);
      const sel = selectBodies(sk);
      if (f.endsWith('A058.skeleton')) assert.equal(sel.ids.filter(Boolean).length, 2, f);
      // the performer is the first body kept, seen in (nearly) every frame even if a ghost shows up
      const seen = sk.frames.filter((fr) => fr.bodies.some((b) => b.id === sel.ids[0])).length;
      assert.ok(seen >= 0.9 * st.frames, `${f}: first body in ${seen} of ${st.frames} frames`);
      for (const id of st.bodyIds) assert.ok(BigInt(id) > 2n ** 53n, 'Kinect-style 64-bit ids');
    }
  });

  it('reproduces byte for byte from the seed, with any number of workers; another seed differs', async () => {
    const dirB = join(root, 'b');
    const dirC = join(root, 'c');
    await writeSynthDataset({ out: dirB, seed: 5, jobs: 2, ...small });
    await writeSynthDataset({ out: dirC, seed: 6, jobs: 1, ...small, streams: 0 });
    const f = 'S002C002P002R001A023.skeleton';
    assert.equal(readFileSync(join(dirB, f), 'latin1'), readFileSync(join(dirA, f), 'latin1'));
    assert.equal(readFileSync(join(dirB, 'streams', readdirSync(join(dirB, 'streams'))[0])).length > 0, true);
    assert.notEqual(readFileSync(join(dirC, f), 'latin1'), readFileSync(join(dirA, f), 'latin1'));
  });

  it('shows the same performance to every camera, from a different angle', () => {
    const a = readSkeletonFile(join(dirA, 'S001C001P001R001A038.skeleton'));
    const b = readSkeletonFile(join(dirA, 'S001C002P001R001A038.skeleton'));
    assert.equal(a.frames.length, b.frames.length);
    assert.notEqual(a.frames[5].bodies[0]?.joints[0], b.frames[5].bodies[0]?.joints[0]);
  });

  it('writes streams with one label per frame and chains several actions', () => {
    const sdir = join(dirA, 'streams');
    const [sk] = readdirSync(sdir).filter((f) => f.endsWith('.skeleton'));
    const labels = readFileSync(join(sdir, sk.replace('.skeleton', '.labels')), 'utf8')
      .trim()
      .split('\n')
      .map(Number);
    assert.equal(labels.length, readSkeletonFile(join(sdir, sk)).frames.length);
    assert.ok(labels.length >= 8 * 30);
    assert.ok(new Set(labels.filter((l) => l > 0)).size >= 2, 'at least two different actions');
    assert.ok(labels.includes(0), 'idle transitions between actions');
    // sitting down is always followed (after idle) by standing up
    const order = labels.filter((l, i) => l > 0 && l !== labels[i - 1]);
    for (let i = 0; i + 1 < order.length; i++) if (order[i] === 8) assert.equal(order[i + 1], 9);
  });

  it('builds a cache: labels from the manifest, streams with per-frame labels', () => {
    const cache = join(root, 'a.cache');
    buildNtuCache({ raw: dirA, out: cache });
    const ds = openDataset(cache);
    assert.equal(ds.count, 20);
    assert.deepEqual(
      ds.labels.map((l) => l.ntuAction),
      [8, 9, 23, 38, 58],
    );
    const xsubTest = openDataset(cache, { split: 'ntu60-xsub', part: 'test' });
    assert.ok(xsubTest.count === 0 || [...Array(xsubTest.count).keys()].every((i) => xsubTest.meta(i).subject === 3));
    const streams = join(root, 's.cache');
    buildNtuCache({ raw: join(dirA, 'streams'), out: streams });
    const st = openDataset(streams);
    assert.equal(st.label(0), -1);
    assert.ok(st.frameLabels(0)!.some((l) => l >= 0));
  });
});

describe('designed difficulty', () => {
  it('standing up is sitting down played backwards: the same poses, in reverse order', () => {
    const n = { setup: 1, performer: 4, replication: 1 };
    const sit = makePerformance(3, { ...n, action: 8 });
    const stand = makePerformance(3, { ...n, action: 9 });
    const w = 75;
    // Different random draws, but the pelvis goes down in one and up in the other.
    const y = (p: typeof sit, t: number) => p.world[0][t * w + 1];
    assert.ok(y(sit, 0) - y(sit, sit.T - 1) > 0.25);
    assert.ok(y(stand, stand.T - 1) - y(stand, 0) > 0.25);
  });

  it('time-averaged, per-frame-centred poses of sit down and stand up overlap', async () => {
    const dir = join(root, 'pairs');
    await writeSynthDataset({
      out: dir,
      seed: 2,
      jobs: 1,
      subjects: 6,
      replications: 1,
      cameras: [1],
      actions: [8, 9],
    });
    const cache = join(root, 'pairs.cache');
    buildNtuCache({ raw: dir, out: cache });
    const ds = openDataset(cache, { preprocess: defaultPreprocessConfig('ntu25', 2, { center: 'per-frame' }) });
    const f = meanPoseFeatures(ds);
    // mean hip height (joint 0 is the origin per frame; use the head, joint 3, y) per class
    const head = (k: number) => {
      const rows = [...Array(f.N).keys()].filter((r) => f.y[r] === k);
      return rows.reduce((s, r) => s + f.X[r * f.F + 3 * 3 + 1], 0) / rows.length;
    };
    assert.ok(Math.abs(head(0) - head(1)) < 0.15, `class means differ by ${Math.abs(head(0) - head(1))}`);
  });
});
