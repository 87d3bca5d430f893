// Transfer learning (`indrnn train --init FILE --freeze N`) and few-clip training sets (--classes,
// --per-class), on a small synthetic NTU-format set: a base network trained on some actions, then started
// from (its checkpoint or its exported .onnx) for other actions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildNtuCache } from '../src/data/build.js';
import { writeSynthDataset } from '../src/data/synth/dataset.js';
import { OrtBackend } from '../src/nn/backend.js';
import { softmaxCrossEntropy } from '../src/nn/loss.js';
import type { Seq } from '../src/nn/seq.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { loadCheckpoint, loadNetwork } from '../src/train/checkpoint.js';
import { exportCheckpoint } from '../src/train/checkpoint-to-onnx.js';
import { checkInitInput, readInitSource } from '../src/train/init.js';
import { resolveTrainConfig, type TrainFlags } from '../src/train/resolve.js';
import { type SkeletonOptions, SkeletonTask, skeletonDefaults } from '../src/train/tasks/skeleton.js';
import { runTraining, Trainer } from '../src/train/trainer.js';
import { indrnn } from './helpers/cli.js';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('train --init: transfer learning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-init-'));
  const cache = join(dir, 'synth.cache');
  const backend = new OrtBackend();
  // NTU actions 8 (sit down), 9 (stand up), 23 (hand waving), 24 (kicking something).
  const names: string[] = [];
  const taskOf = (o: Partial<SkeletonOptions> = {}) =>
    new SkeletonTask({
      cache,
      split: 'ntu60-xsub',
      sampling: { kind: 'segments', segments: 10 },
      center: 'first-frame',
      augment: true,
      seed: 1,
      ...o,
    });
  const stored = (o: Record<string, unknown> = {}) => ({ cache, split: 'ntu60-xsub', segments: 10, ...o });
  const small: TrainFlags = { arch: 'residual', hidden: 8, depth: 1, batchSize: 8 };
  let baseCkpt = '';
  let baseOnnx = '';
  let newClasses = '';

  before(async () => {
    await writeSynthDataset({
      out: join(dir, 'raw'),
      seed: 3,
      subjects: 4,
      replications: 2,
      actions: [8, 9, 23, 24],
      jobs: 1,
    });
    buildNtuCache({ raw: join(dir, 'raw'), out: cache });
    names.push(...(taskOf().labels ?? []));
    // The base network knows the first three actions; the fine-tuned ones are the last and one of those.
    const baseClasses = names.slice(0, 3).join(',');
    newClasses = [names[3], names[0]].join(',');
    const task = taskOf({ classes: baseClasses });
    const config = resolveTrainConfig(task, stored({ classes: baseClasses }), skeletonDefaults, {
      ...small,
      epochs: 4,
    });
    const summary = await runTraining(config, task, { outDir: join(dir, 'base'), resume: false, mm: backend });
    baseCkpt = summary.checkpoint;
    baseOnnx = join(dir, 'base.onnx');
    writeFileSync(baseOnnx, exportCheckpoint(baseCkpt, { name: 'base' }));
  });
  after(async () => {
    await backend.release();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fine-tuning trainer on `classes` started from `file` (not run). */
  function fineTuner(file: string, out: string, flags: TrainFlags = {}, classes = newClasses): Trainer {
    const task = taskOf({ classes });
    const init = readInitSource(file);
    const config = resolveTrainConfig(task, stored({ classes }), skeletonDefaults, { epochs: 3, ...flags }, init);
    return new Trainer(config, task, { outDir: join(dir, out), resume: false, mm: backend, init });
  }

  it('--classes keeps those classes in that order; --per-class k keeps k training clips of each', () => {
    const task = taskOf({ classes: newClasses, perClass: 2, seed: 5 });
    assert.deepEqual(task.labels, [names[3], names[0]]);
    const all = taskOf({ classes: newClasses });
    const { info } = task.describe();
    assert.equal(info.trainSamples, 4, '2 clips of each of 2 classes');
    assert.equal(info.testSamples, all.describe().info.testSamples, 'the test part stays whole');
    assert.equal(info.validationSamples, all.describe().info.validationSamples, 'so does the validation part');
    const labels = [...task.trainBatch(0, 4).labels!].sort();
    assert.deepEqual(labels, [0, 0, 1, 1]);
    assert.throws(() => taskOf({ classes: 'no such action' }), /--classes: no class 'no such action'/);
  });

  it('starts from the same network whether given the checkpoint or the exported .onnx', async () => {
    // Same classes as the base: every classifier column is kept, so the logits are the base network's.
    const baseClasses = names.slice(0, 3).join(',');
    const fromCkpt = fineTuner(baseCkpt, 'same-ckpt', { freeze: 0 }, baseClasses);
    const fromOnnx = fineTuner(baseOnnx, 'same-onnx', { freeze: 0 }, baseClasses);
    const { net: base } = loadNetwork(baseCkpt, backend);
    const batch = fromCkpt.task.evalBatches(64, 'test')[Symbol.iterator]().next().value!;
    const logits = async (t: { net: { forward(x: Seq, c: { training: false }): Promise<Seq> } }) =>
      (await t.net.forward(batch.x, { training: false })).data;
    const expected = await logits({ net: base });
    assert.ok(maxAbsDiff(await logits(fromCkpt), expected) === 0, 'a checkpoint gives its very weights');
    assert.ok(maxAbsDiff(await logits(fromOnnx), expected) < 1e-4, 'an exported model gives the same outputs');
    // Its batch norms, set from the data's statistics before the first step, leave the outputs alone.
    await fromOnnx.calibrateInitBatchNorm();
    assert.ok(maxAbsDiff(await logits(fromOnnx), expected) < 1e-4);
    await Promise.all([fromCkpt.close(), fromOnnx.close()]);
  });

  it('--freeze 1: the frozen layer is bit-identical after training, with no optimiser state; the rest learns', async () => {
    const trainer = fineTuner(baseCkpt, 'frozen', { freeze: 1, epochs: 4 });
    assert.equal(trainer.config.network.frozenLayers, 1);
    const task = trainer.task;
    const batch = task.trainBatch(0, 8);
    const lossOf = async () =>
      softmaxCrossEntropy((await trainer.net.forward(batch.x, { training: false })).data, batch.labels!, batch.x.B, 2)
        .loss;
    const before = await lossOf();
    await trainer.run();
    const after = await lossOf();
    await trainer.close();
    assert.ok(after < before, `fine-tuning lowers the training loss (${before} -> ${after})`);
    const base = loadCheckpoint(baseCkpt);
    const tuned = loadCheckpoint(trainer.checkpointPath);
    const frozen = ['fc0.weight', 'fc0.bias', 'blocks.0.rec1.u', 'blocks.0.bn1.gamma', 'blocks.0.bn1.running_mean'];
    for (const name of frozen) {
      assert.deepEqual(tuned.tensors.get(`model.${name}`)!.data, base.tensors.get(`model.${name}`)!.data, name);
      assert.ok(
        tuned.tensors.get(`adam.m.${name}`)!.data.every((v) => v === 0),
        `${name}: no Adam state`,
      );
    }
    for (const name of ['blocks.0.fc1.weight', 'final.rec.u'])
      assert.notDeepEqual(tuned.tensors.get(`model.${name}`)!.data, base.tensors.get(`model.${name}`)!.data, name);
    // The fine-tuned model exports and its ONNX file computes what the network does.
    const { net } = loadNetwork(trainer.checkpointPath, backend, { readout: 'all' });
    const model = await IndrnnModel.fromBytes(exportCheckpoint(trainer.checkpointPath), 'tuned.onnx', {
      provider: 'cpu',
    });
    const { T, B } = batch.x;
    const out = await model.run(batch.x.data, T, B);
    const ts = await net.forward(batch.x, { training: false });
    assert.ok(maxAbsDiff(out.logits, ts.data) < 1e-4, 'ONNX parity of the fine-tuned model');
    await model.release();
  });

  it('--freeze with data-parallel shards: 1 and 2 threads give the same weights', async () => {
    const weights: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const task = taskOf({ classes: newClasses });
      const init = readInitSource(baseCkpt);
      const flags = { epochs: 2, freeze: 2, shards: 2, threads };
      const config = resolveTrainConfig(task, stored({ classes: newClasses }), skeletonDefaults, flags, init);
      const out = join(dir, `threads${threads}`);
      await runTraining(config, task, { outDir: out, resume: false, mm: backend, threads, init });
      weights.push(loadCheckpoint(join(out, 'checkpoint.safetensors')).tensors.get('model.final.rec.u')!.data);
    }
    assert.deepEqual(weights[1], weights[0]);
  });

  it('keeps the classifier column of a class the base knows by name, and makes a new one for the others', async () => {
    const trainer = fineTuner(baseOnnx, 'columns', { freeze: 2 });
    // From the exported model: its classifier is folded with the last batch norm, and kept as it is.
    const source = readInitSource(baseOnnx);
    const [w0, b0] = [source.tensors.get('classifier.weight')!, source.tensors.get('classifier.bias')!];
    const [w, b] = [trainer.net.store.get('classifier.weight').value, trainer.net.store.get('classifier.bias').value];
    const [H, K0, K] = [8, 3, 2];
    // New class 1 is the base's class 0; new class 0 (names[3]) is one the base never saw.
    for (let r = 0; r < H; r++) assert.equal(w[r * K + 1], w0[r * K0]);
    assert.equal(b[1], b0[0]);
    assert.equal(b[0], 0, 'a new class starts with a fresh column (bias 0)');
    assert.ok(
      Array.from({ length: H }, (_, r) => w[r * K]).every((v, r) => v !== w0[r * K0 + 1] && v !== w0[r * K0 + 2]),
    );
    await trainer.close();
  });

  it('refuses a network of another input or shape, naming what differs', () => {
    const source = readInitSource(baseCkpt);
    const { contract } = taskOf().describe();
    for (const [field, value] of [
      ['layout', 'kinect20'],
      ['joints', 20],
      ['bodies', 1],
      ['dims', 2],
    ] as const) {
      const other = { ...source, contract: { ...source.contract, [field]: value } };
      assert.throws(() => checkInitInput(other, contract, 150), new RegExp(`${field} differs`));
    }
    assert.throws(() => checkInitInput(source, contract, 75), /input size differs/);
    // A model from before 2D and user layouts says neither dims nor the preprocessing's joints: 3D, the layout's.
    const { dims: _d, ...oldContract } = source.contract;
    const { dims: _pd, joints: _pj, ...oldPreprocessing } = source.contract.preprocessing!;
    const old = { ...source, contract: { ...oldContract, preprocessing: oldPreprocessing } };
    assert.doesNotThrow(() => checkInitInput(old, contract, 150));
    const task = taskOf({ classes: newClasses });
    const resolve = (flags: TrainFlags) => resolveTrainConfig(task, stored(), skeletonDefaults, flags, source);
    assert.throws(() => resolve({ hidden: 16 }), /hidden size differs: the model's is 8, --hidden asks for 16/);
    assert.throws(() => resolve({ arch: 'plain' }), /architecture differs/);
    assert.throws(() => resolve({ depth: 3 }), /depth differs/);
    assert.throws(() => resolveTrainConfig(task, stored(), skeletonDefaults, { freeze: 1 }), /--freeze needs --init/);
    assert.throws(
      () => new Trainer(resolve({ freeze: 9 }), task, { outDir: dir, resume: false, mm: backend }),
      /cannot freeze 9/,
    );
  });

  it('the CLI: --init FILE --freeze N trains, and a bad --init names the file', () => {
    const out = join(dir, 'cli');
    const r = indrnn(
      ...['train', '--task', 'skeleton', '--cache', cache, '--split', 'ntu60-xsub', '--segments', '10'],
      ...['--classes', newClasses, '--per-class', '3', '--init', baseOnnx, '--freeze', '1', '--epochs', '2'],
      ...['--batch-size', '8', '--threads', '1', '--out', out, '--json'],
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /initialised from .*base\.onnx \(onnx\).*1 of 2 classes kept by name.*1 of 3 IndRNN layers frozen/,
    );
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.config.network.frozenLayers, 1);
    assert.equal(summary.config.init, baseOnnx);
    const bad = indrnn(
      'train',
      '--task',
      'skeleton',
      '--cache',
      cache,
      '--init',
      join(dir, 'nope.onnx'),
      '--out',
      join(dir, 'bad'),
    );
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /nope\.onnx/);
  });
});
