// The PyTorch accuracy peer sees exactly the trainer's parts: scripts/export-split.ts writes the training part
// less the validation part, the validation part and the test part of a cache as `indrnn train` carves them,
// and scripts/accuracy-peer.py trains a plain IndRNN on them and reads the test part once (where a python3
// with torch is installed). A tiny 2D stick-figure set: 6 subjects x 2 cameras x 3 actions, subject 1 tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ExportedSample, exportSplit } from '../scripts/export-split.js';
import { SkeletonTask } from '../src/train/tasks/skeleton.js';
import { readSafetensorsFile } from '../src/util/safetensors.js';
import { indrnn } from './helpers/cli.js';
import { writeStickData } from './helpers/own-data.js';

const SCRIPTS = join(import.meta.dirname, '..', '..', 'scripts');
const EXPORT_CLI = join(import.meta.dirname, '..', 'scripts', 'export-split.js');

/** A python3 that imports torch (Debian's python3-torch installs for the system interpreter), or null. */
function pythonWithTorch(): string | null {
  return ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import torch']).status === 0) ?? null;
}

describe('accuracy peer: the trainer parts, exported, and a plain PyTorch IndRNN on them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-peer-'));
  const cache = join(dir, 'stick.cache');
  const out = join(dir, 'export');
  // 'given': subject 1 tests; a fifth of the 30 training clips validates, i.e. one whole subject of the five.
  const options = { cache, split: 'given', validation: 0.2 };
  before(() => {
    const { layoutFile, jsonl } = writeStickData(dir, 6);
    const r = indrnn('data', 'build', '--jsonl', jsonl, '--layout-file', layoutFile, '--out', cache);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports the parts the trainer uses: whole subjects validate, the test part untouched, frames centred', () => {
    const summary = exportSplit({ ...options, out });
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    const ids = (part: ExportedSample['part']) =>
      (split.samples as ExportedSample[]).filter((s) => s.part === part).map((s) => s.id);
    const subjects = (list: string[]) => [...new Set(list.map((id) => id.slice(0, id.indexOf('c'))))].sort();
    assert.deepEqual(subjects(ids('test')), ['s1']);
    assert.equal(subjects(ids('validation')).length, 1, 'one whole subject validates');
    assert.ok(!subjects(ids('train')).some((s) => subjects(ids('validation')).includes(s)), 'no subject on both sides');
    const info = new SkeletonTask({
      ...options,
      sampling: { kind: 'segments', segments: 20 },
      center: 'first-frame',
      augment: false,
      seed: 7,
    }).describe().info;
    assert.deepEqual(summary.counts, {
      train: info.trainSamples,
      validation: info.validationSamples,
      test: info.testSamples,
    });
    assert.deepEqual([summary.counts.train, summary.counts.validation, summary.counts.test], [24, 6, 6]);
    assert.deepEqual(split.validation, { fraction: 0.2, grouping: 'subject', groups: 1 });
    // Frames in the listed order; each sample starts with its pelvis (the root) at the origin.
    const frames = readSafetensorsFile(join(out, 'frames.safetensors')).tensors.get('frames')!;
    assert.deepEqual(frames.shape, [summary.totalFrames, 21]);
    let at = 0;
    for (const s of split.samples as ExportedSample[]) {
      assert.deepEqual([...frames.data.subarray(at * 21, at * 21 + 3)], [0, 0, 0], `${s.id}: first frame centred`);
      at += s.frames;
    }
    assert.equal(at, summary.totalFrames);
  });

  it('says what is missing and exits 1 (the CLI)', () => {
    const r = spawnSync(process.execPath, [EXPORT_CLI, '--split', 'given', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /export-split: .*--cache/);
  });

  it('trains the peer on those parts, chooses its weights on validation, and reads the test part once', (t) => {
    const python = pythonWithTorch();
    if (!python) {
      t.skip('no python3 with torch (apt-get install python3-torch)');
      return;
    }
    exportSplit({ ...options, out });
    const peer = (data: string) =>
      spawnSync(python, [join(SCRIPTS, 'accuracy-peer.py'), '--data', data, '--epochs', '30', '--hidden', '32'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
    const r = peer(out);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result.clips, { train: 24, validation: 6, test: 6 });
    assert.equal(result.selection, 'validation');
    assert.equal(result.history.length, 30);
    const chosen = result.history[result.chosenEpoch - 1];
    assert.equal(
      chosen.validationAccuracy,
      Math.max(...result.history.map((h: { validationAccuracy: number }) => h.validationAccuracy)),
    );
    assert.ok(result.testAccuracy >= 5 / 6, `the actions are easy to tell apart: test accuracy ${result.testAccuracy}`);
    assert.match(r.stderr, /test accuracy [\d.]+ % \(weights of epoch \d+, validation/);
    assert.deepEqual(JSON.parse(peer(out).stdout).history, result.history, 'seeded: the same run twice');

    // An export whose two files disagree (one sample fewer listed) is refused, naming the file.
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    split.samples.pop();
    writeFileSync(join(out, 'split.json'), JSON.stringify(split));
    const bad = peer(out);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /frames\.safetensors: frames \[\d+, 21\], but .*split\.json lists 35 samples/);
  });
});
