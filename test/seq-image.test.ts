// Sequential image classification on small IDX files written here (CI needs no dataset package).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OrtBackend } from '../src/nn/backend.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { SeqImageTask, seqImageDefaults } from '../src/train/tasks/seq-image.js';
import { runTraining } from '../src/train/trainer.js';
import { encodeIdx, parseIdx } from '../src/util/idx.js';
import { Rng } from '../src/util/rng.js';
import { writeDataset } from './helpers/idx-data.js';

describe('sequential images', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-idx-'));
  const rng = new Rng(9);
  writeDataset(dir, 'train', 384, rng, true);
  writeDataset(dir, 't10k', 150, rng, false);
  const mm = new OrtBackend();
  after(async () => {
    await mm.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads IDX files, plain or gzipped, and rejects truncated ones by name', () => {
    const bytes = encodeIdx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    assert.deepEqual(parseIdx(bytes, 'x').dims, [2, 3]);
    assert.deepEqual([...parseIdx(gzipSync(bytes), 'x').data], [1, 2, 3, 4, 5, 6]);
    assert.throws(
      () => parseIdx(bytes.subarray(0, bytes.length - 1), 'cut.idx'),
      /cut.idx: holds 5 values, dims \[2,3\] need 6/,
    );
  });

  it('reads rows as time steps, or pixels in a fixed permutation', () => {
    const rows = new SeqImageTask({ dataDir: dir, mode: 'rows', permute: false, trainLimit: 0, testLimit: 0, seed: 1 });
    assert.deepEqual([rows.seqLen, rows.inputSize, rows.numOutputs, rows.stepsPerEpoch(128)], [8, 8, 3, 3]);
    const pixels = new SeqImageTask({
      dataDir: dir,
      mode: 'pixels',
      permute: true,
      trainLimit: 0,
      testLimit: 0,
      seed: 1,
    });
    assert.deepEqual([pixels.seqLen, pixels.inputSize], [64, 1]);
    const a = rows.trainBatch(0, 4);
    const b = rows.trainBatch(3, 4); // the next epoch: a different shuffle
    assert.equal(a.x.data.length, 8 * 4 * 8);
    assert.notDeepEqual(a.labels, b.labels);
  });

  it('a plain IndRNN learns to classify them row by row', async () => {
    const task = new SeqImageTask({ dataDir: dir, mode: 'rows', permute: false, trainLimit: 0, testLimit: 0, seed: 1 });
    const config = resolveTrainConfig(task, {}, seqImageDefaults, {
      depth: 2,
      hidden: 32,
      batchSize: 32,
      epochs: 6,
      evalBatchSize: 50,
    });
    const s = await runTraining(config, task, {
      outDir: mkdtempSync(join(tmpdir(), 'indrnn-run-')),
      resume: false,
      mm,
    });
    assert.equal(s.epochs, 6);
    assert.equal(s.history.length, 6, 'one evaluation per epoch');
    assert.ok(s.finalTestMetric >= 0.9, `accuracy ${s.finalTestMetric}`);
  });
});
