// The time-to-completion estimate of `indrnn train` (src/train/eta.ts): arithmetic on recorded times,
// so it is checked with given times, not by timing anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EtaEstimator } from '../src/train/eta.js';
import { createReporter, type ProgressInfo } from '../src/train/progress.js';

describe('training time estimate', () => {
  it('leaves out the first step (session and thread start-up) and counts the evaluations still to come', () => {
    const eta = new EtaEstimator();
    const at = { total: 100, evalEvery: 25, batchSize: 10 };
    eta.addStep(5000); // start-up
    assert.ok(Number.isNaN(eta.remainingSec({ step: 1, ...at })), 'nothing to go on after the first step');
    for (let i = 0; i < 9; i++) eta.addStep(100);
    assert.equal(eta.stepMs(), 100);
    // 90 steps x 0.1 s; evaluations not timed yet and their size unknown: nothing added for them.
    assert.equal(eta.remainingSec({ step: 10, ...at }), 9);
    // Known size: 40 sequences = 4 batches, each a third of a step.
    assert.ok(
      Math.abs(eta.remainingSec({ step: 10, ...at, evalSequences: 40 }) - (9 + (4 * 4 * 100) / 3 / 1000)) < 1e-9,
    );
    eta.addEvaluation(2000);
    // At step 30: 70 steps x 0.1 s + evaluations at 50, 75 and 100 x 2 s.
    assert.ok(Math.abs(eta.remainingSec({ step: 30, ...at }) - (7 + 6)) < 1e-9);
    // A run of 90 steps evaluates at 25, 50, 75 and at its end (90).
    assert.ok(Math.abs(eta.remainingSec({ step: 30, total: 90, evalEvery: 25, batchSize: 10 }) - (6 + 3 * 2)) < 1e-9);
    assert.equal(eta.remainingSec({ step: 100, ...at }), 0);
  });

  it('follows the recent step time, not the whole history', () => {
    const eta = new EtaEstimator();
    eta.addStep(1);
    for (let i = 0; i < 200; i++) eta.addStep(1000);
    for (let i = 0; i < 50; i++) eta.addStep(10);
    assert.equal(eta.stepMs(), 10);
  });
});

describe('progress lines', () => {
  /** The lines a non-terminal reporter writes for one update. */
  function lineFor(info: ProgressInfo): string {
    let written = '';
    const stream = { isTTY: false, write: (s: string) => (written += s) } as unknown as NodeJS.WriteStream;
    const reporter = createReporter({ stream, intervalMs: 0 });
    reporter.start(100, 0);
    reporter.update(10, info);
    reporter.stop();
    return written;
  }
  const info = { loss: 0.5, samplesPerSec: 300, lr: 1e-3, etaSec: 65 };

  it('say "at most" when the run may stop early at its --target, and plainly otherwise', () => {
    assert.match(lineFor(info), /\| 1 min 5 s left\n/);
    assert.match(lineFor({ ...info, etaIsBound: true }), /\| at most 1 min 5 s left\n/);
    assert.match(lineFor({ ...info, etaSec: Number.NaN, etaIsBound: true }), /\| estimating the time left\n/);
  });
});
