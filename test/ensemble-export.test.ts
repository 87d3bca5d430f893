// Ensembles of seeds (indrnn export with several --checkpoint): one ONNX model whose logits are the mean of
// its members' log-softmax and whose state stacks theirs; served, streamed and evaluated like any model.
// Members are tiny rate-sampled skeleton networks trained for one step on a synthetic cache.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndrnnModel } from '../src/onnx/model.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import type { RunningServer } from '../src/server.js';
import { exportCheckpoint } from '../src/train/checkpoint-to-onnx.js';
import { readInitSource } from '../src/train/init.js';
import { Rng } from '../src/util/rng.js';
import { indrnn } from './helpers/cli.js';
import { randomArray } from './helpers/gradcheck.js';
import { runInChunks, skeletonFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { assertClose, probs, streamFrameByFrame } from './helpers/stream.js';

const dir = mkdtempSync(join(tmpdir(), 'indrnn-ensemble-'));
const cache = join(dir, 'synth.cache');
const models = join(dir, 'models');
const ens = join(models, 'ens.onnx');
const ckpt = (run: string) => join(dir, run, 'checkpoint.safetensors');

function ok(r: ReturnType<typeof indrnn>): string {
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** One training step of a tiny skeleton network on the cache. */
function train(run: string, seed: number, arch: string, window: number): void {
  const net = ['--arch', arch, '--hidden', '8', '--depth', '1', '--batch-size', '6', '--epochs', '1'];
  const sampling = ['--sampling', 'rate', '--fps', '10', '--window', String(window)];
  const data = ['--task', 'skeleton', '--cache', cache, '--split', 'ntu60-xsub', ...sampling];
  ok(indrnn('train', ...data, ...net, '--seed', String(seed), '--threads', '1', '--out', join(dir, run), '--quiet'));
}

before(() => {
  ok(indrnn('data', 'synth', '--out', join(dir, 'raw'), '--seed', '3', '--subjects', '3', '--replications', '1'));
  ok(indrnn('data', 'build', '--raw', join(dir, 'raw'), '--out', cache));
  train('s1', 1, 'residual', 8); // 3 IndRNN layers
  train('s2', 2, 'plain', 8); // 1: members may differ in architecture and depth
  train('w6', 3, 'residual', 6); // trained on windows of 6 steps
  ok(indrnn('export', '--checkpoint', ckpt('s1'), '--checkpoint', ckpt('s2'), '--out', ens, '--name', 'ens'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const logSoftmax = (row: Float32Array): number[] => {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
  return Array.from(row, (v) => v - lse);
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('indrnn export with several checkpoints: the graph', () => {
  it("logits = the mean of each member's log-softmax (each member exported alone), hT = their states stacked", async () => {
    const model = await IndrnnModel.load(ens, { provider: 'cpu' });
    const alone = await Promise.all(
      ['s1', 's2'].map((r) => IndrnnModel.fromBytes(exportCheckpoint(ckpt(r)), `${r}.onnx`, { provider: 'cpu' })),
    );
    const [T, B, D, K, H] = [9, 3, model.inputSize, model.numOutputs, model.hiddenSize];
    assert.deepEqual([model.numLayers, alone[0].numLayers, alone[1].numLayers], [4, 3, 1]);
    const x = randomArray(new Rng(5), T * B * D);
    const h0 = randomArray(new Rng(6), 4 * B * H).map(Math.abs);
    const got = await model.run(x, T, B, h0);
    const runs = await Promise.all(
      alone.map((m, i) => m.run(x, T, B, i === 0 ? h0.subarray(0, 3 * B * H) : h0.subarray(3 * B * H))),
    );
    const expected = new Float64Array(T * B * K);
    for (const r of runs)
      for (let row = 0; row < T * B; row++)
        logSoftmax(r.logits.subarray(row * K, (row + 1) * K)).forEach((v, k) => {
          expected[row * K + k] += v / runs.length;
        });
    assert.ok(maxAbsDiff(got.logits, expected) < 1e-5, `logits differ by ${maxAbsDiff(got.logits, expected)}`);
    assert.ok(maxAbsDiff(got.hT, [...runs[0].hT, ...runs[1].hT]) < 1e-6, 'hT');
    for (const m of [model, ...alone]) await m.release();
  });

  it('fed in chunks of 1, 3 and 7 steps with the state passed back, equals the whole sequence', async () => {
    const model = await IndrnnModel.load(ens, { provider: 'cpu' });
    const [T, B, D] = [23, 2, model.inputSize];
    const x = randomArray(new Rng(7), T * B * D);
    const whole = await model.run(x, T, B);
    for (const chunk of [1, 3, 7]) {
      const { logits, hT } = await runInChunks(model, x, T, B, chunk);
      assert.ok(maxAbsDiff(logits, whole.logits) < 1e-5, `chunks of ${chunk}`);
      assert.ok(maxAbsDiff(hT, whole.hT) < 1e-5, `chunks of ${chunk}: hT`);
    }
    await model.release();
  });

  it('metadata: num_layers the total, the first member as architecture, every member with its seed and figures', () => {
    const meta = validateModelBytes(readFileSync(ens), ens);
    assert.equal(meta.num_layers, 4);
    assert.equal(meta.architecture.arch, 'residual');
    assert.deepEqual(
      meta.ensemble?.members.map((m) => [m.source_checkpoint, m.seed, m.num_layers]),
      [
        ['s1/checkpoint.safetensors', 1, 3],
        ['s2/checkpoint.safetensors', 2, 1],
      ],
    );
    const members = meta.training.members as { seed: number; finalTestMetric: number }[];
    assert.deepEqual(
      members.map((m) => m.seed),
      [1, 2],
    );
    assert.match(String(meta.training.ensemble), /indrnn eval --model/);
  });

  it('one checkpoint: the same bytes as before (no ensemble metadata)', () => {
    const one = join(dir, 'one.onnx');
    ok(indrnn('export', '--checkpoint', ckpt('s1'), '--out', one));
    const bytes = readFileSync(one);
    assert.deepEqual(bytes, Buffer.from(exportCheckpoint(ckpt('s1'))));
    assert.equal(validateModelBytes(bytes, one).ensemble, undefined);
  });

  it('members that differ in what the server reads are refused, naming the field and both checkpoints', () => {
    const r = indrnn('export', '--checkpoint', ckpt('s1'), '--checkpoint', ckpt('w6'), '--out', join(dir, 'x.onnx'));
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /ensemble members differ in window: \S*s1\/checkpoint\.safetensors has 8, \S*w6\/checkpoint\.safetensors has 6/,
    );
    const twice = indrnn(
      'export',
      '--checkpoint',
      ckpt('s1'),
      '--checkpoint',
      ckpt('s1'),
      '--out',
      join(dir, 'x.onnx'),
    );
    assert.match(twice.stderr, /s1\/checkpoint\.safetensors is given twice/);
  });

  it('--init refuses an ensemble, naming it', () => {
    assert.throws(() => readInitSource(ens), /ens\.onnx: an ensemble of 2 models/);
  });
});

describe('an ensemble served and evaluated', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startLoopbackServer(models);
  });
  after(() => srv.shutdown('test end'));

  it('loads in the registry: model info lists the members, state [4, B, 8]; neurons gives every layer', async () => {
    const info = await (await fetch(`${srv.url}/v1/models/ens`)).json();
    assert.deepEqual(info.inputs[1].shape, [4, 'B', 8]);
    assert.equal(info.ensemble.members.length, 2);
    const neurons = await (await fetch(`${srv.url}/v1/models/ens/neurons`)).json();
    assert.deepEqual(
      neurons.layers.map((l: { layer: number }) => l.layer),
      [0, 1, 2, 3],
    );
  });

  it('predicts over HTTP, and a stream frame by frame gives the same at every step (rate sampling)', async () => {
    const frames = skeletonFrames(120, 4, 2); // 40 steps at 10 fps, staggered states past the window of 8
    const r = await fetch(`${srv.url}/v1/models/ens/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ frames, topK: 2, timeline: true }),
    });
    assert.equal(r.status, 200);
    const http = (await r.json()).predictions[0];
    assert.equal(http.timeline.length, 40);
    const preds = await streamFrameByFrame(`${srv.url.replace('http', 'ws')}/v1/models/ens/stream`, frames, {
      topK: 2,
    });
    assert.equal(preds.length, 40);
    assertClose(probs(preds[39]), probs(http), 1e-4, 'final');
    preds.forEach((p, i) => {
      assert.equal(p.index, http.timeline[i].index, `step ${i}`);
      assert.ok(Math.abs(p.probability - http.timeline[i].probability) < 1e-4, `step ${i}`);
    });
  });

  it('indrnn eval --model: an exported member gives its checkpoint’s report; the ensemble is evaluated too', () => {
    const one = join(dir, 'member.onnx');
    writeFileSync(one, exportCheckpoint(ckpt('s1')));
    const viaModel = JSON.parse(ok(indrnn('eval', '--model', one, '--json')));
    const viaCheckpoint = JSON.parse(ok(indrnn('eval', '--checkpoint', ckpt('s1'), '--json')));
    assert.deepEqual(viaModel.confusion, viaCheckpoint.confusion);
    const report = JSON.parse(
      ok(
        indrnn(
          'eval',
          '--model',
          ens,
          '--cache',
          cache,
          '--split',
          'ntu60-xsub',
          '--json',
          '--plot',
          join(dir, 'c.svg'),
        ),
      ),
    );
    assert.equal(report.count, viaCheckpoint.count);
    assert.ok(report.accuracy >= 0 && report.accuracy <= 1);
  });
});
