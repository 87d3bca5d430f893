// The input streams a recipe uses unless told: joints alone for 3D data, joints and their motions for 2D
// keypoints (tasks/skeleton.ts, defaultFeatures); a run stores what it resolved, and a run from --init
// without --features takes the model's streams, so that its input is the model's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { SkeletonTask } from '../src/train/tasks/skeleton.js';
import { indrnn } from './helpers/cli.js';
import { writeStickData } from './helpers/own-data.js';

type StreamsOf = { features?: { streams: string[] } };

describe('default input streams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-features-'));
  const cache = join(dir, 'stick.cache');
  const options = {
    cache,
    split: 'given',
    sampling: { kind: 'segments' as const, segments: 8 },
    center: 'first-frame' as const,
    augment: false,
    seed: 1,
  };
  before(() => {
    const { layoutFile, jsonl } = writeStickData(dir, 3);
    const r = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', layoutFile, '--out', cache);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** A tiny run of `indrnn train` on the stick data into dir/OUT, on SPLIT, with EXTRA flags. */
  const train = (out: string, split: string, ...extra: string[]) =>
    indrnn(
      'train',
      '--task',
      'skeleton',
      '--cache',
      cache,
      '--split',
      split,
      '--segments',
      '8',
      '--epochs',
      '1',
      '--hidden',
      '8',
      '--depth',
      '1',
      '--threads',
      '1',
      '--quiet',
      '--force',
      '--out',
      join(dir, out),
      ...extra,
    );

  it('2D keypoints: joints and motion unless --features says otherwise, in the contract and the stored options', () => {
    const task = new SkeletonTask(options);
    assert.deepEqual(task.features, ['joints', 'motion']);
    const streams = (t: SkeletonTask) => (t.describe().contract.preprocessing as StreamsOf).features?.streams;
    assert.deepEqual(streams(task), ['joints', 'motion']);
    assert.equal(task.resolvedOptions.features, 'joints,motion');
    const joints = new SkeletonTask({ ...options, features: ['joints'] });
    assert.equal(streams(joints), undefined, 'joints alone: no streams entry');
    assert.equal(joints.inputSize * 2, task.inputSize);
  });

  it("a run from --init without --features takes the model's streams; one that asks for others is refused", () => {
    const base = train('base', 'given', '--features', 'joints');
    assert.equal(base.status, 0, base.stderr);
    const baseCkpt = join(dir, 'base', 'checkpoint.safetensors');
    assert.equal(loadCheckpoint(baseCkpt).config.task.options.features, 'joints');
    const tuned = train('tuned', 'given', '--init', baseCkpt);
    assert.equal(tuned.status, 0, tuned.stderr);
    assert.equal(loadCheckpoint(join(dir, 'tuned', 'checkpoint.safetensors')).config.task.options.features, 'joints');
    const other = train('other', 'given', '--init', baseCkpt, '--features', 'joints,motion');
    assert.equal(other.status, 1);
    assert.match(other.stderr, /--init .*preprocessing differs/);
  });
  it('a run on split all trains on every sample; indrnn eval asks for a split with a test part', () => {
    const r = train('all', 'all', '--validation', '0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual([summary.selection, summary.taskInfo.testSamples, summary.finalTestMetric], ['none', 0, null]);
    const ckpt = join(dir, 'all', 'checkpoint.safetensors');
    const e = indrnn('eval', '--checkpoint', ckpt);
    assert.equal(e.status, 1);
    assert.match(e.stderr, /split all has no test part .*give --split/);
    const given = indrnn('eval', '--checkpoint', ckpt, '--split', 'given', '--json');
    assert.equal(given.status, 0, given.stderr);
    assert.ok(JSON.parse(given.stdout).count > 0);
  });
});
