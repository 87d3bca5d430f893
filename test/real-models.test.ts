// The models trained on real people are what `npm start` serves: models/ loads them with their layout,
// bodies and labels taken from the ONNX metadata alone, and they answer skeletons in their own layout.
// (The recordings they were trained on are not in the repository, so the inputs here are generated.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { indrnn } from './helpers/cli.js';
import { serveApp, skeletonFrames } from './helpers/models.js';

const MODELS = join(import.meta.dirname, '..', '..', 'models');

describe('the models trained on real people', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-real-'));
  let served: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    served = await serveApp(MODELS);
  });
  after(async () => {
    await served.registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are served from models/ beside the synthetic examples', async () => {
    const r = await request(served.app).get('/v1/models').expect(200);
    const names = r.body.models.map((m: { name: string }) => m.name);
    for (const name of ['nucla', 'pku-mmd', 'pku-mmd-detect', 'penn-action', 'ntu-synth', 'ntu-synth-stream'])
      assert.ok(names.includes(name), name);
  });

  it('describe their layout, bodies, sampling and labels from the model file alone', async () => {
    const nucla = (await request(served.app).get('/v1/models/nucla').expect(200)).body;
    assert.equal(nucla.layout, 'kinect20');
    assert.equal(nucla.bodies, 1);
    assert.equal(nucla.joints, 20);
    assert.equal(nucla.labels.length, 10);
    assert.equal(nucla.labels[4].name, 'sit down');
    const pku = (await request(served.app).get('/v1/models/pku-mmd').expect(200)).body;
    assert.equal(pku.layout, 'ntu25');
    assert.equal(pku.bodies, 2);
    assert.equal(pku.sampling.kind, 'rate');
    assert.equal(pku.labels.length, 8);
    assert.deepEqual(pku.labels[1], { name: 'handshaking', ntuAction: 58 });
  });

  it('pku-mmd-detect is a detection model: a background label, and segments from HTTP predict', async () => {
    const det = (await request(served.app).get('/v1/models/pku-mmd-detect').expect(200)).body;
    assert.equal(det.background, 'no action');
    assert.equal(det.labels.length, 9);
    assert.deepEqual(det.labels[8], { name: 'no action' });
    assert.deepEqual(
      det.labels.slice(0, 8),
      (await request(served.app).get('/v1/models/pku-mmd').expect(200)).body.labels,
      'the 8 interactions of pku-mmd, in its order',
    );
    assert.equal(det.sampling.kind, 'rate');
    const frames = skeletonFrames(300, 5, 2);
    const r = await request(served.app).post('/v1/models/pku-mmd-detect/predict').send({ frames, segments: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const s of r.body.predictions[0].segments) {
      assert.ok(s.index >= 0 && s.index < 8 && s.label === det.labels[s.index].name);
      assert.ok(s.startFrame <= s.announcedFrame && s.startFrame <= s.endFrame && s.endFrame < 300);
    }
  });

  it('nucla answers one-body kinect20 joints, the same over HTTP and the CLI', async () => {
    // Generated NTU-like bodies cut to 20 joints: any one-body kinect20 sequence of the right shape.
    const frames = (skeletonFrames(45, 3, 1) as number[][][]).map((f) => f.slice(0, 20));
    const input = join(dir, 'nucla.json');
    writeFileSync(input, JSON.stringify({ frames, topK: 3 }));
    const http = await request(served.app).post('/v1/models/nucla/predict').send({ frames, topK: 3 }).expect(200);
    const p = http.body.predictions[0];
    assert.equal(p.topK.length, 3);
    assert.ok(p.probability > 0 && p.probability <= 1);
    const cli = indrnn('predict', '--model', join(MODELS, 'nucla.onnx'), '--input', input, '--top-k', '3');
    assert.equal(cli.status, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout);
    assert.equal(fromCli.label, p.label);
    assert.ok(Math.abs(fromCli.probability - p.probability) < 1e-4);
  });

  it('nucla refuses frames in another layout, naming the field', async () => {
    const frames = skeletonFrames(10, 4, 1) as number[][][];
    const r = await request(served.app).post('/v1/models/nucla/predict').send({ frames }).expect(400);
    assert.match(JSON.stringify(r.body.error), /frames\[0\]/);
    assert.match(r.body.error.message, /20/);
  });
});
