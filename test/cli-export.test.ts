// indrnn export and indrnn predict: an export verified by the user gives the same JSON as its checkpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateModelBytes } from '../src/onnx/validate.js';
import { Rng } from '../src/util/rng.js';
import { indrnn } from './helpers/cli.js';
import { writeDataset } from './helpers/idx-data.js';

describe('indrnn export + predict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-export-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(4);
  writeDataset(dir, 'train', 96, rng, false);
  writeDataset(dir, 't10k', 30, rng, false);
  const run = join(dir, 'run');
  const model = join(dir, 'model.onnx');
  const input = join(dir, 'seq.json');
  writeFileSync(
    input,
    JSON.stringify({
      frames: Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => (r === 3 ? 1.5 : c * 0.01))),
    }),
  );

  it('trains, exports and predicts the same JSON from the ONNX model and the checkpoint', () => {
    const train = indrnn(
      'train',
      '--task',
      'seq-image',
      '--data',
      dir,
      '--arch',
      'residual',
      '--depth',
      '1',
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--out',
      run,
      '--quiet',
    );
    assert.equal(train.status, 0, train.stderr);
    const exp = indrnn(
      'export',
      '--checkpoint',
      join(run, 'checkpoint.safetensors'),
      '--out',
      model,
      '--name',
      'shapes',
      '--model-version',
      '2',
      '--json',
    );
    assert.equal(exp.status, 0, exp.stderr);
    assert.ok(JSON.parse(exp.stdout).bytes > 1000);
    const meta = validateModelBytes(readFileSync(model), model);
    assert.deepEqual([meta.name, meta.version], ['shapes', '2']);
    const viaModel = indrnn('predict', '--model', model, '--input', input, '--top-k', '3', '--timeline');
    const viaCheckpoint = indrnn(
      'predict',
      '--checkpoint',
      join(run, 'checkpoint.safetensors'),
      '--input',
      input,
      '--top-k',
      '3',
      '--timeline',
    );
    assert.equal(viaModel.status, 0, viaModel.stderr);
    assert.equal(viaCheckpoint.status, 0, viaCheckpoint.stderr);
    assert.equal(viaModel.stdout, viaCheckpoint.stdout);
    const p = JSON.parse(viaModel.stdout);
    assert.equal(p.topK.length, 3);
    assert.equal(p.timeline.length, 8);
    assert.equal(p.frames, 8);
    assert.ok(['0', '1', '2'].includes(p.label));
  });

  it("reads the input file's options as HTTP predict does; a flag given wins", () => {
    const frames = JSON.parse(readFileSync(input, 'utf8')).frames;
    const withOptions = join(dir, 'options.json');
    writeFileSync(withOptions, JSON.stringify({ frames, topK: 2, timeline: true }));
    const fromFile = JSON.parse(indrnn('predict', '--model', model, '--input', withOptions).stdout);
    assert.equal(fromFile.topK.length, 2);
    assert.equal(fromFile.timeline.length, 8);
    const flagWins = JSON.parse(indrnn('predict', '--model', model, '--input', withOptions, '--top-k', '1').stdout);
    assert.equal(flagWins.topK.length, 1);
    writeFileSync(withOptions, JSON.stringify({ frames, topK: 0 }));
    const bad = indrnn('predict', '--model', model, '--input', withOptions);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /options.json: topK: /);
  });

  it('explains bad input and bad files', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ frames: [[1, 2, 3]] }));
    const short = indrnn('predict', '--model', model, '--input', join(dir, 'bad.json'));
    assert.equal(short.status, 1);
    assert.match(short.stderr, /bad.json: frames\[0\] has 3 values, the model expects 8 per frame/);
    const notModel = indrnn('predict', '--model', input, '--input', input);
    assert.equal(notModel.status, 1);
    assert.match(notModel.stderr, /seq.json: not an ONNX model/);
    const both = indrnn('predict', '--input', input);
    assert.match(both.stderr, /exactly one of --model FILE or --checkpoint FILE/);
  });
});
