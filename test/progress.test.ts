// One progress style for train, data build and data synth (src/util/progress.ts), with units everywhere:
// durations as "2 min 31 s", counts with what they count, the time left named as such; redrawn in place
// on a terminal (log lines above the bar), plain lines otherwise.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { summaryLines } from '../src/cli/train.js';
import { createReporter } from '../src/train/progress.js';
import type { TrainSummary } from '../src/train/trainer.js';
import { formatDuration } from '../src/util/duration.js';
import { Progress } from '../src/util/progress.js';
import { indrnn } from './helpers/cli.js';

/** A stream that keeps what is written; a terminal of `columns` when given. */
function sink(columns?: number) {
  const out = {
    text: '',
    isTTY: columns !== undefined,
    columns,
    write(s: string) {
      out.text += s;
      return true;
    },
  };
  return out as typeof out & NodeJS.WriteStream;
}

describe('durations', () => {
  it('have their units', () => {
    assert.equal(formatDuration(0.42), '0.4 s');
    assert.equal(formatDuration(42.4), '42 s');
    assert.equal(formatDuration(151), '2 min 31 s');
    assert.equal(formatDuration(59.6), '1 min 0 s');
    assert.equal(formatDuration(3725), '1 h 02 min');
    assert.equal(formatDuration(Number.NaN), '-');
  });
});

describe('progress', () => {
  it('train: steps, loss, speed, learning rate and the time left, with units', () => {
    const stream = sink();
    const reporter = createReporter({ stream, intervalMs: 0 });
    reporter.start(2000, 0);
    reporter.update(600, { loss: 1.2345, samplesPerSec: 512.4, lr: 1e-3, etaSec: 151 });
    reporter.stop();
    assert.equal(
      stream.text,
      'train [######--------------]  600/2000 steps  30 % | loss 1.234 | 512 samples/s | lr 1.0e-3 | 2 min 31 s left\n',
    );
  });

  it('data: the count with its unit, the rate, and the time in all at the end', () => {
    const stream = sink();
    const p = new Progress({ label: 'build', unit: 'files', stream, intervalMs: 0 });
    p.start(40);
    p.update(10);
    p.update(40);
    p.stop();
    const [first, last] = stream.text.trimEnd().split('\n');
    assert.match(first, /^build \[#####-{15}\] 10\/40 files {2}25 % \| \S+ files\/s \| [\d.]+ s left$/);
    assert.match(last, /^build \[#{20}\] 40\/40 files {2}100 % \| \S+ files\/s \| [\d.]+ s in all$/);
  });

  it('on a terminal the bar is redrawn in place and a log line goes above it', () => {
    const stream = sink(200);
    const p = new Progress({ label: 'synth', unit: 'files', stream });
    p.start(2);
    p.update(1);
    p.log('warning: something');
    p.update(2);
    p.stop();
    // The escape code that clears the rest of the line, shown as <EL>.
    const text = stream.text.replaceAll('\x1b[K', '<EL>');
    assert.match(text, /^\rsynth \[#{10}-{10}\] 1\/2 files {2}50 % [^\n]*<EL>/);
    const afterLog = text.slice(text.indexOf('\r<EL>warning: something\n'));
    assert.match(afterLog, /^\r<EL>warning: something\n\rsynth \[#{10}-{10}\] 1\/2 files/, 'cleared, logged, redrawn');
    assert.match(text, /\rsynth \[#{20}\] 2\/2 files {2}100 % [^\n]* in all<EL>\n$/);
  });

  it('a line longer than the terminal is cut, so that it is redrawn in place', () => {
    const stream = sink(40);
    const p = new Progress({ label: 'train', unit: 'steps', stream });
    p.start(10);
    p.update(10, { fields: ['loss 1.234', '512 samples/s', 'lr 1.0e-3'] });
    for (const line of stream.text.split('\r').filter(Boolean))
      assert.ok(line.replace('\x1b[K', '').trim().length < 40);
  });

  it('the training summary reads accuracy in percent and the time with units', () => {
    const lines = summaryLines({
      task: 'ntu',
      steps: 15,
      stopReason: 'done',
      metric: 'accuracy',
      finalTestMetric: 0.55,
      bestTestMetric: 0.55,
      bestStep: 15,
      finalTrainLoss: 1.5,
      parameters: 1000,
      samplesPerSec: 300,
      wallTimeSec: 151,
      checkpoint: 'runs/x/checkpoint.safetensors',
    } as TrainSummary);
    assert.equal(lines[1], 'test accuracy 55.00 % (best 55.00 % at step 15), train loss 1.500');
    assert.equal(lines[2], '1000 parameters, 300 samples/s, 2 min 31 s in all');
  });

  it('data synth shows its progress (a line without a terminal) and its time with units', () => {
    const dir = mkdtempSync(join(tmpdir(), 'indrnn-progress-'));
    try {
      const r = indrnn(
        ...['data', 'synth', '--out', dir, '--seed', '7', '--subjects', '1', '--cameras', '1,2'],
        ...['--replications', '1', '--actions', '23,24'],
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /^synth \[#{20}\] 4\/4 files {2}100 % \| \S+ files\/s \| [\d.]+ s in all\n$/);
      assert.match(r.stdout, /: 4 files, \d+ frames, \d+ MB in [\d.]+ s\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
