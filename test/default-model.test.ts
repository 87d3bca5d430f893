// The shipped model: the server loads models/ as `npm start` does, and recognises freshly generated
// synthetic recordings (performer 3 is a cross-subject test subject, unseen in training).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { selectBodies } from '../src/data/bodies.js';
import { parseNtuName } from '../src/data/ntu-name.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';
import { writeSynthDataset } from '../src/data/synth/dataset.js';
import { indrnn } from './helpers/cli.js';
import { serveApp } from './helpers/models.js';

const MODELS = join(import.meta.dirname, '..', '..', 'models');

/** A recording as a predict request body: T x 2 bodies x 25 joints x xyz. */
function requestFrames(file: string): number[][][][] {
  const s = selectBodies(readSkeletonFile(file), { bodies: 2 });
  const joint = (t: number, b: number, j: number) =>
    Array.from(s.data.subarray(((t * 2 + b) * 25 + j) * 3, ((t * 2 + b) * 25 + j + 1) * 3));
  return Array.from({ length: s.T }, (_, t) => [0, 1].map((b) => Array.from({ length: 25 }, (_, j) => joint(t, b, j))));
}

describe('the shipped model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-default-'));
  let served: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    served = await serveApp(MODELS);
    // Seed 99 is not the training seed: new recordings of performers 1-3.
    await writeSynthDataset({
      out: dir,
      seed: 99,
      subjects: 3,
      cameras: [1],
      replications: 1,
      actions: [8, 9, 23, 27, 58],
      jobs: 1,
    });
  });
  after(async () => {
    await served.registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indrnn predict on joints answers as HTTP predict does (both shipped models)', async () => {
    const file = readdirSync(dir).find((f) => f.endsWith('A023.skeleton') && f.includes('P003'))!;
    const body = { frames: requestFrames(join(dir, file)), topK: 3 };
    const input = join(dir, 'request.json');
    writeFileSync(input, JSON.stringify(body));
    for (const name of ['ntu-synth', 'ntu-synth-stream']) {
      const cli = indrnn('predict', '--model', join(MODELS, `${name}.onnx`), '--input', input, '--top-k', '3');
      assert.equal(cli.status, 0, cli.stderr);
      const http = await request(served.app).post(`/v1/models/${name}/predict`).send(body).expect(200);
      const fromCli = JSON.parse(cli.stdout);
      assert.equal(fromCli.label, 'hand waving');
      assert.equal(fromCli.label, http.body.predictions[0].label);
      assert.ok(Math.abs(fromCli.probability - http.body.predictions[0].probability) < 1e-4, name);
      assert.equal(fromCli.frames, http.body.predictions[0].frames);
    }
  });

  it('is served with its labels, NTU action ids and preprocessing', async () => {
    const r = await request(served.app).get('/v1/models/ntu-synth').expect(200);
    assert.equal(r.body.layout, 'ntu25');
    assert.deepEqual(r.body.labels[5], { name: 'hand waving', ntuAction: 23 });
    assert.equal(r.body.preprocessing.center, 'first-frame');
  });

  it('a predict request on a generated sample returns its true label', async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.skeleton') && f.includes('P003'));
    assert.equal(files.length, 5);
    for (const file of files) {
      const action = parseNtuName(file)!.action;
      const r = await request(served.app)
        .post('/v1/models/ntu-synth/predict')
        .send({ frames: requestFrames(join(dir, file)), topK: 3 })
        .expect(200);
      assert.equal(r.body.predictions[0].ntuAction, action, `${file}: predicted ${r.body.predictions[0].label}`);
    }
  });
});
