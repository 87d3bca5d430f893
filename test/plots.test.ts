// Plots as a user gets them: `indrnn train` writes curves.svg beside summary.json, `indrnn eval` confusion.svg
// beside the checkpoint, `indrnn export` copies both beside the model, and GET /v1/models/{name}/plots serves
// them (the live page shows them with the model's card), bounded and never held by what lies in the folder.
// The SVG is well-formed whatever the labels hold.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import request from 'supertest';
import { MAX_PLOT_BYTES } from '../src/host/model-plots.js';
import type { EvalRecord } from '../src/train/checkpoint.js';
import { confusionSvg, curvesSvg } from '../src/train/plots.js';
import { niceTicks } from '../src/util/nice-ticks.js';
import { Rng } from '../src/util/rng.js';
import { indrnn } from './helpers/cli.js';
import { writeDataset } from './helpers/idx-data.js';
import { modelDir, serveApp } from './helpers/models.js';

/** The SVG parsed as XML would be: every tag closed in order, no bare & or < in text. */
function assertWellFormed(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2], `</${m[2]}> closes another tag`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
  const text = svg.replace(/<[^>]*>/g, '');
  assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos);)|</);
}

const record = (step: number, trainLoss: number, evalMetric: number): EvalRecord => ({
  step,
  lr: 1e-3,
  trainLoss,
  trainMetric: 0,
  evalLoss: 0,
  evalMetric,
  evalPart: 'validation',
  elapsedMs: 0,
});

describe('plots as SVG', () => {
  it('curves: axes with ticks, both lines, a gap where a loss was not finite, the chosen step', () => {
    const history = [record(0, 2.3, 0.1), record(50, Number.NaN, 0.5), record(100, 0.4, 0.8), record(150, 0.3, 0.9)];
    const svg = curvesSvg([{ label: 'run <1>', colour: '#000', history }], {
      metric: 'accuracy',
      evaluatedOn: 'validation',
      chosenStep: 150,
    });
    assertWellFormed(svg);
    for (const tick of ['0 %', '50 %', '100 %', '>150<', '>2.5<', 'training step', 'chosen weights: step 150'])
      assert.ok(svg.includes(tick), tick);
    // The loss line breaks at the NaN: two pieces (M...L, then M...L...).
    const loss = /<path d="([^"]+)"[^>]*stroke-dasharray="5,4"/.exec(svg)![1];
    assert.equal(loss.split('M').length - 1, 2, loss);
    assertWellFormed(curvesSvg([{ label: 'x', colour: '#000', history: [] }], { metric: 'mse', evaluatedOn: 'test' }));
  });

  it('confusion: a cell per pair with its count, recall per row, labels escaped', () => {
    const labels = ['wave <hand>', 'sit & stand', 'a "quoted" one'];
    const confusion = [
      [8, 2, 0],
      [1, 9, 0],
      [0, 0, 10],
    ];
    const svg = confusionSvg({ labels, confusion });
    assertWellFormed(svg);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 9);
    assert.ok(svg.includes('wave &lt;hand&gt;') && svg.includes('sit &amp; stand'));
    assert.ok(svg.includes('accuracy 90.0 % of 30'));
    for (const recall of ['>80 %<', '>90 %<', '>100 %<']) assert.ok(svg.includes(recall), recall);
  });

  it('ticks: 0 up to the first at or above the largest value, in steps of 1, 2 or 5 x 10^k', () => {
    assert.deepEqual(niceTicks(2.3), [0, 0.5, 1, 1.5, 2, 2.5]);
    assert.deepEqual(niceTicks(3000), [0, 1000, 2000, 3000]);
    assert.deepEqual(niceTicks(120), [0, 50, 100, 150]);
    assert.deepEqual(niceTicks(0), [0, 1]);
  });
});

describe('train, eval and export write the plots; the server serves them with the model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-plots-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('curves.svg beside summary.json, confusion.svg beside the checkpoint, both beside the exported model', async () => {
    for (const [file, n] of [
      ['train', 64],
      ['t10k', 20],
    ] as const)
      writeDataset(dir, file, n, new Rng(n), false);
    const [run, models] = [join(dir, 'run'), join(dir, 'models')];
    const flags = ['--task', 'seq-image', '--data', dir, '--depth', '1', '--hidden', '8', '--batch-size', '16'];
    const train = indrnn('train', ...flags, '--steps', '4', '--eval-every', '2', '--out', run, '--quiet');
    assert.equal(train.status, 0, train.stderr);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    const curves = readFileSync(join(run, 'curves.svg'), 'utf8');
    assertWellFormed(curves);
    assert.ok(summary.history.length >= 2);
    assert.ok(curves.includes(`${summary.selection === 'validation' ? 'validation' : 'held-out'} accuracy`));

    const ckpt = join(run, 'checkpoint.safetensors');
    const evaluated = indrnn('eval', '--checkpoint', ckpt, '--json');
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    const confusion = readFileSync(join(run, 'confusion.svg'), 'utf8');
    assertWellFormed(confusion);
    assert.ok(confusion.includes(`of ${report.count}`), 'the held-out count');
    assert.match(evaluated.stderr, /confusion matrix: .*confusion\.svg/);

    const model = join(models, 'digits.onnx');
    const exported = indrnn('export', '--checkpoint', ckpt, '--out', model, '--name', 'digits', '--json');
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(JSON.parse(exported.stdout).plots, [
      join(models, 'digits-curves.svg'),
      join(models, 'digits-confusion.svg'),
    ]);

    const s = await serveApp(models);
    try {
      const res = await request(s.app).get('/v1/models/digits/plots').expect(200);
      assert.deepEqual(res.body, {
        model: 'digits',
        version: '1',
        plots: [
          { kind: 'curves', file: 'digits-curves.svg', svg: curves },
          { kind: 'confusion', file: 'digits-confusion.svg', svg: confusion },
        ],
      });
      const missing = await request(s.app).get('/v1/models/nobody/plots').expect(404);
      assert.equal(missing.body.error.code, 'model_not_found');
    } finally {
      await s.registry.close();
    }
  });

  it('a plot too large or not SVG is named with the reason, not sent; none is []', async () => {
    const served = modelDir({
      'a.onnx': { kind: 'raw', name: 'a', seed: 1, inputSize: 4 },
      'a-curves.svg': `<svg>${' '.repeat(MAX_PLOT_BYTES)}</svg>`,
      'a-confusion.svg': '<html><script>alert(1)</script></html>',
      'b.onnx': { kind: 'raw', name: 'b', seed: 2, inputSize: 4 },
    });
    const s = await serveApp(served);
    try {
      const a = await request(s.app).get('/v1/models/a/plots').expect(200);
      assert.equal(a.body.plots.length, 2);
      assert.ok(a.body.plots.every((p: { svg: string | null }) => p.svg === null));
      assert.match(a.body.plots[0].problem, new RegExp(`a-curves.svg has more than ${MAX_PLOT_BYTES} bytes`));
      assert.match(a.body.plots[1].problem, /a-confusion.svg is not an SVG document/);
      const b = await request(s.app).get('/v1/models/b/plots').expect(200);
      assert.deepEqual(b.body.plots, []);
      // A FIFO in a plot's place (nobody writing to it) does not hold the request: not a plot.
      execFileSync('mkfifo', [join(served, 'b-confusion.svg')]);
      assert.deepEqual((await request(s.app).get('/v1/models/b/plots').expect(200)).body.plots, []);
      // Added after the model loaded: served at the next ask.
      writeFileSync(join(served, 'b-curves.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
      const later = await request(s.app).get('/v1/models/b/plots').expect(200);
      assert.equal(later.body.plots[0].kind, 'curves');
    } finally {
      await s.registry.close();
      rmSync(served, { recursive: true, force: true });
    }
  });
});
