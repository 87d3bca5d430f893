// The shipped 2D model (models/penn-action, Penn Action's 13 joints in image pixels): a pose estimator's
// COCO-17 keypoints sent over HTTP give the answer the model's own joints give, and the same clip in other
// pixels (a larger picture, the person elsewhere in it) gives the same answer. On real Penn Action clips
// where ../shared/data/real/penn-action exists (never copied into the repository), on generated ones always.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listPennFiles, readPennClip } from '../src/data/penn-action-reader.js';
import { Rng } from '../src/util/rng.js';
import { serveApp } from './helpers/models.js';

const MODELS = join(import.meta.dirname, '..', '..', 'models');
const REAL = join(process.cwd(), '..', 'shared', 'data', 'real', 'penn-action');

type Clip = { name: string; frames: number[][][] };

/** penn13 joint -> COCO-17 keypoint (the head stands for the nose; eyes and ears are not found: (0, 0)). */
const COCO_OF_PENN = [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

function asCoco(frames: number[][][]): number[][][] {
  return frames.map((joints) => {
    const coco = Array.from({ length: 17 }, () => [0, 0]);
    joints.forEach((p, j) => {
      coco[COCO_OF_PENN[j]] = [p[0], p[1]];
    });
    return coco;
  });
}

/** A generated clip: a person at (x0, y0) whose limbs swing, in pixels, y down. */
function generatedClip(seed: number): Clip {
  const rng = new Rng(seed);
  const [x0, y0, s] = [rng.uniform(100, 500), rng.uniform(100, 300), rng.uniform(0.5, 2)];
  const rest = [
    [0, -80],
    [-25, -55],
    [25, -55],
    [-35, -25],
    [35, -25],
    [-40, 5],
    [40, 5],
    [-15, 10],
    [15, 10],
    [-18, 55],
    [18, 55],
    [-20, 100],
    [20, 100],
  ];
  const frames = Array.from({ length: 40 }, (_, t) =>
    rest.map(([x, y], j) => [
      x0 + s * (x + (j >= 3 && j <= 6 ? 20 * Math.sin(0.3 * t + j) : 0) + rng.uniform(-1, 1)),
      y0 + s * (y + (j >= 9 ? 10 * Math.cos(0.2 * t) : 0) + rng.uniform(-1, 1)),
    ]),
  );
  return { name: `generated ${seed}`, frames };
}

function realClips(): Clip[] {
  if (!existsSync(REAL)) return [];
  return listPennFiles(REAL)
    .filter((_, i) => i % 100 === 0)
    .map((f) => {
      const c = readPennClip(f);
      const frames = Array.from({ length: c.T }, (_, t) =>
        Array.from({ length: 13 }, (_, j) => [c.data[(t * 13 + j) * 3], c.data[(t * 13 + j) * 3 + 1]]),
      );
      return { name: `clip ${f.id}`, frames };
    });
}

describe('the 2D model penn-action', () => {
  let served: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    served = await serveApp(MODELS);
  });
  after(async () => {
    await served.registry.close();
  });

  const predict = async (body: object) =>
    (await request(served.app).post('/v1/models/penn-action/predict').send(body).expect(200)).body.predictions[0] as {
      label: string;
      topK: { label: string; probability: number }[];
    };
  const same = (a: Awaited<ReturnType<typeof predict>>, b: Awaited<ReturnType<typeof predict>>, what: string) => {
    assert.equal(a.label, b.label, what);
    a.topK.forEach((k, i) => {
      assert.equal(k.label, b.topK[i].label, what);
      assert.ok(
        Math.abs(k.probability - b.topK[i].probability) < 1e-4,
        `${what}: ${k.probability} vs ${b.topK[i].probability}`,
      );
    });
  };

  it('is a 2D model of 15 actions on penn13 joints', async () => {
    const m = (await request(served.app).get('/v1/models/penn-action').expect(200)).body;
    assert.equal(m.layout, 'penn13');
    assert.equal(m.dims, 2);
    assert.equal(m.labels.length, 15);
  });

  it('answers COCO-17 keypoints as it answers its own joints, wherever and however large the person is', async () => {
    const clips = [...realClips(), generatedClip(1), generatedClip(2), generatedClip(3)];
    for (const { name, frames } of clips) {
      const own = await predict({ frames });
      same(own, await predict({ frames: asCoco(frames), layout: 'coco17' }), `${name}: coco17`);
      const moved = frames.map((f) => f.map(([x, y]) => [2 * x + 300, 2 * y + 40]));
      same(own, await predict({ frames: moved }), `${name}: twice as large, elsewhere`);
    }
  });
});
