// The skeleton task takes its layout, body count and preprocessing from the cache, not from NTU
// constants: a kinect20 one-body cache trains with 60 values per frame, own splits place the samples, a
// class left out of training is a warning, and --view-align reaches the stored preprocessing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CacheWriter } from '../src/data/cache.js';
import { resolveTrainConfig } from '../src/train/resolve.js';
import { defaultSkeletonEpochs, SkeletonTask, skeletonDefaults } from '../src/train/tasks/skeleton.js';
import { Rng } from '../src/util/rng.js';

describe('skeleton task on a kinect20, one-body cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-k20-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'k20.cache');
  const labels = ['a', 'b', 'c'].map((name) => ({ name, ntuAction: null }));
  const w = new CacheWriter({ layout: 'kinect20', bodies: 1, labels });
  const rng = new Rng(5);
  // Subjects 1-3; class 'c' only by subject 3.
  for (let subject = 1; subject <= 3; subject++)
    for (let label = 0; label < 3; label++) {
      if (label === 2 && subject !== 3) continue;
      const T = 12;
      const raw = new Float32Array(T * 20 * 3);
      for (let k = 0; k < raw.length; k++) raw[k] = rng.uniform(-1, 1) + (k % 3 === 2 ? 3 : 0);
      w.add({ id: `s${subject}l${label}`, raw, T, label, subject, camera: 1 });
    }
  w.write(cache);
  const task = (viewAlign?: 'none' | 'yaw' | 'full') =>
    new SkeletonTask({
      cache,
      split: 'subjects:1,2',
      sampling: { kind: 'segments', segments: 6 },
      center: 'first-frame',
      viewAlign,
      augment: true,
      seed: 1,
    });

  it('input size, layout and bodies come from the cache; the split is the own split', () => {
    const t = task();
    assert.equal(t.inputSize, 60);
    const { contract: c, info } = t.describe();
    assert.deepEqual([c.layout, c.bodies, c.joints, c.dims], ['kinect20', 1, 20, 3]);
    assert.deepEqual([info.trainSamples, info.testSamples], [4, 3]);
    assert.equal(c.layout_spec?.joints[2], 'ShoulderCenter');
    assert.equal(c.preprocessing?.viewAlign, 'full', 'the default for 3D layouts');
    assert.equal(info.augment?.rotateDeg, 45);
    const b = t.trainBatch(0, 4);
    assert.deepEqual([b.x.T, b.x.B, b.x.C], [6, 4, 60]);
  });

  it('warns that the split leaves class c out of training', () => {
    assert.deepEqual(task().warnings, [
      'split subjects:1,2 leaves 1 class(es) out of training, which the model cannot learn: c',
    ]);
  });

  it('--view-align reaches the preprocessing the model will carry', () => {
    assert.equal(task('yaw').describe().contract.preprocessing?.viewAlign, 'yaw');
  });

  it('the default recipe: epochs from the data size, one step decay; plateau patience in epochs', () => {
    const t = task();
    const small = resolveTrainConfig(t, {}, skeletonDefaults, {});
    // 4 training clips: 1 step per epoch, so the 200-epoch cap decides.
    assert.deepEqual([small.steps, small.evalEvery, small.schedule.kind], [200, 1, 'step']);
    assert.deepEqual([small.network.arch, small.network.depth, small.network.hiddenSize], ['residual', 2, 128]);
    assert.equal(defaultSkeletonEpochs(1020), 197); // N-UCLA cross-view
    assert.equal(defaultSkeletonEpochs(389), 200); // PKU-MMD's 8 interactions, capped
    assert.equal(defaultSkeletonEpochs(1920), 105);
    assert.equal(defaultSkeletonEpochs(40_000), 30); // NTU-60 size: at least 30 epochs
    assert.equal(resolveTrainConfig(t, {}, skeletonDefaults, { epochs: 3 }).steps, 3, '--epochs wins');
    const plateau = resolveTrainConfig(t, {}, skeletonDefaults, { schedule: 'plateau' }).schedule;
    assert.deepEqual(plateau.kind === 'plateau' ? plateau.patience : null, 10);
  });
});
