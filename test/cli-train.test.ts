import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { indrnn } from './helpers/cli.js';

describe('indrnn train (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'run');

  it('prints a JSON summary with --json', () => {
    const r = indrnn(
      'train',
      '--task',
      'adding',
      '--seq-len',
      '10',
      '--hidden',
      '8',
      '--steps',
      '20',
      '--eval-every',
      '10',
      '--out',
      out,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.task, 'adding');
    assert.equal(summary.steps, 20);
    assert.equal(summary.metric, 'mse');
    assert.ok(summary.samplesPerSec > 0);
    assert.equal(summary.checkpoint, join(out, 'checkpoint.safetensors'));
    assert.equal(summary.config.network.hiddenSize, 8);
    // The task's defaults hold unless a flag overrides them (the adding recipe: BN, recalibrated before evaluations).
    assert.equal(summary.config.network.batchNorm, true);
    assert.equal(summary.config.bnCalibrationBatches, 10);
    assert.equal(summary.config.network.clipRecurrent, true);
  });

  it('refuses to overwrite a run without --resume or --force, and resumes with --resume', () => {
    const again = indrnn(
      'train',
      '--task',
      'adding',
      '--seq-len',
      '10',
      '--hidden',
      '8',
      '--steps',
      '20',
      '--out',
      out,
    );
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds a checkpoint: pass --resume/);
    const more = indrnn(
      'train',
      '--task',
      'adding',
      '--seq-len',
      '10',
      '--hidden',
      '8',
      '--steps',
      '30',
      '--eval-every',
      '10',
      '--out',
      out,
      '--resume',
      '--json',
    );
    assert.equal(more.status, 0, more.stderr);
    assert.match(more.stderr, /resumed from .* at step 20/);
  });

  it('names the flag and the value when a flag is wrong', () => {
    const r = indrnn('train', '--task', 'adding', '--hidden', 'many');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--hidden.*expected an integer, got 'many'/);
    const noData = indrnn('train', '--task', 'seq-image', '--out', join(dir, 'x'));
    assert.equal(noData.status, 1);
    assert.match(noData.stderr, /needs --data DIR/);
  });

  it('has --help', () => {
    const r = indrnn('train', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--task <name>/);
    assert.match(r.stdout, /Examples:/);
  });
});
