// A user's own skeletons end to end: a custom 2D layout with one body, from a layout file and JSON Lines,
// through data build -> train -> export -> serve -> predict. The model carries its whole layout, so the
// server needs no layout file; the CLI and HTTP give the same answer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import request from 'supertest';
import { openDataset } from '../src/data/cache.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import { Rng } from '../src/util/rng.js';
import { indrnn } from './helpers/cli.js';
import { serveApp } from './helpers/models.js';
import { STICK_LAYOUT, stickFrames, writeStickData } from './helpers/own-data.js';

/** Probabilities rounded as `indrnn predict` prints them. */
const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

describe('own data: custom 2D layout, one body, build -> train -> export -> serve -> predict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-own-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { layoutFile, jsonl } = writeStickData(dir);
  const cache = join(dir, 'stick.cache');
  const run = join(dir, 'run');
  const models = join(dir, 'models');
  mkdirSync(models);
  const model = join(models, 'stick.onnx');

  it('builds a cache that carries the whole layout, one body and 2D', () => {
    const r = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', layoutFile, '--out', cache, '--json');
    assert.equal(r.status, 0, r.stderr);
    const ds = openDataset(cache);
    assert.equal(ds.count, 24);
    assert.deepEqual([ds.layout, ds.bodies, ds.joints, ds.frameSize], ['stick7', 1, 7, 21]);
    assert.deepEqual(ds.jointLayout.joints, STICK_LAYOUT.joints);
    assert.deepEqual(ds.jointLayout.parents, [-1, 0, 1, 1, 1, 0, 0]);
    assert.equal(ds.jointLayout.dims, 2);
    assert.equal(ds.preprocess.viewAlign, 'none', '2D: no turn about the vertical');
    const raw = ds.raw(0);
    for (let k = 2; k < raw.length; k += 3) assert.equal(raw[k], 0, 'z = 0 for 2D points');
    assert.deepEqual(ds.meta(0), { setup: 0, camera: 1, subject: 1, replication: 0, recording: 0, split: 'test' });
  });

  it('trains on it (layout and bodies from the cache) and exports a model that describes the layout', () => {
    const t = indrnn(
      'train',
      '--task',
      'skeleton',
      '--cache',
      cache,
      '--split',
      'subjects:2,3,4',
      '--arch',
      'plain',
      '--depth',
      '1',
      '--hidden',
      '12',
      '--segments',
      '8',
      '--epochs',
      '2',
      '--batch-size',
      '6',
      '--out',
      run,
      '--quiet',
      '--json',
    );
    assert.equal(t.status, 0, t.stderr);
    const summary = JSON.parse(t.stdout);
    // 18 samples of subjects 2-4, less one of each class's 6 for validation: 15 / 6 per batch, x 2 epochs.
    assert.equal(summary.steps, 4);
    assert.deepEqual([summary.taskInfo.trainSamples, summary.taskInfo.validationSamples], [15, 3]);
    assert.deepEqual([summary.contract.layout, summary.contract.dims, summary.contract.joints], ['stick7', 2, 7]);
    const e = indrnn('export', '--checkpoint', join(run, 'checkpoint.safetensors'), '--out', model, '--name', 'stick');
    assert.equal(e.status, 0, e.stderr);
    const meta = validateModelBytes(readFileSync(model), model);
    // 2D: the joints and their motions by default, 2 x 7 joints x 3 values.
    assert.deepEqual([meta.layout, meta.bodies, meta.joints, meta.dims, meta.input_size], ['stick7', 1, 7, 2, 42]);
    assert.deepEqual(meta.layout_spec?.joints, STICK_LAYOUT.joints);
    assert.deepEqual(
      meta.labels.map((l) => l.name),
      ['squat', 'wave left', 'wave right'],
    );
    assert.equal(meta.preprocessing?.joints, 7);
  });

  it('evaluates the checkpoint on another split form (--split given: the samples marked "test")', () => {
    const r = indrnn('eval', '--checkpoint', join(run, 'checkpoint.safetensors'), '--split', 'given', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).count, 6); // subject 1's 6 samples say "split": "test"
  });

  it('serves it without the layout file, and HTTP answers what `indrnn predict` answers', async () => {
    const frames = stickFrames(0, 26, new Rng(99)); // [T][7][2]: x, y only
    const input = join(dir, 'request.json');
    writeFileSync(input, JSON.stringify({ frames }));
    const cli = indrnn('predict', '--model', model, '--input', input, '--top-k', '3');
    assert.equal(cli.status, 0, cli.stderr);
    const viaCli = JSON.parse(cli.stdout);

    const s = await serveApp(models);
    try {
      const info = await request(s.app).get('/v1/models/stick').expect(200);
      assert.equal(info.body.layout, 'stick7');
      assert.equal(info.body.preprocessing.dims, 2);
      // The page draws the bones of the model's own layout, which no server file knows.
      assert.deepEqual(info.body.parents, [-1, 0, 1, 1, 1, 0, 0]);
      const r = await request(s.app).post('/v1/models/stick/predict').send({ frames, topK: 3 }).expect(200);
      const p = r.body.predictions[0];
      assert.equal(p.label, viaCli.label);
      assert.equal(p.index, viaCli.index);
      assert.equal(p.frames, viaCli.frames);
      assert.deepEqual(
        p.topK.map((k: { label: string; probability: number }) => [k.label, round4(k.probability)]),
        viaCli.topK.map((k: { label: string; probability: number }) => [k.label, k.probability]),
      );
      // [x, y, z] points are accepted too; a 2D model reads z as 0, so the answer is the same.
      const with3 = frames.map((f) => f.map(([x, y]) => [x, y, 5]));
      const r3 = await request(s.app).post('/v1/models/stick/predict').send({ frames: with3, topK: 3 }).expect(200);
      assert.deepEqual(r3.body.predictions[0].topK, p.topK);
      // A wrong joint count names the field and the layout.
      const bad = await request(s.app)
        .post('/v1/models/stick/predict')
        .send({ frames: [frames[0].slice(0, 5)] })
        .expect(400);
      assert.match(bad.body.error.message, /frames\[0\] has 5 joints, the model expects 7 \(layout stick7\)/);
    } finally {
      await s.registry.close();
    }
  });
});
