// The NTU .skeleton reader and writer: edge cases on small hand-written files, and real recordings
// (only where ../shared/data/ntu-samples exists; they are never copied into the repository).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSkeleton, SkeletonFormatError, skeletonStats } from '../src/data/ntu-reader.js';
import { formatSkeleton, formatValue } from '../src/data/ntu-writer.js';

const BODY = (id: string) => `${id} 0 1 1 1 1 0 -0.1159187 0.1413209 2`;
const JOINT = (x: number, state = 2) =>
  `${Number(x.toFixed(4))} 0.5 3.1 276.1 190.0 1032.3 514.1 -0.17 0.04 0.97 -0.15 ${state}`;
const body = (id: string, joints = 25, x0 = 0.1) => [
  BODY(id),
  String(joints),
  ...Array.from({ length: joints }, (_, j) => JOINT(x0 + j / 100)),
];
const file = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

describe('ntu-reader', () => {
  it('reads a file with zero frames', () => {
    const sk = parseSkeleton(file('0'), 'S001C001P001R001A001.skeleton');
    assert.equal(sk.frames.length, 0);
  });

  it('reads frames with zero bodies and keeps them as empty frames', () => {
    const sk = parseSkeleton(file('3', '0', '1', ...body('72057594037931648'), '0'), 'z.skeleton');
    assert.deepEqual(
      sk.frames.map((f) => f.bodies.length),
      [0, 1, 0],
    );
    assert.equal(skeletonStats(sk).framesWithoutBody, 2);
  });

  it('reads three bodies in a frame, keeping 64-bit ids exactly as strings', () => {
    const ids = ['72057594037931648', '72057594037931649', '18446744073709551615'];
    const sk = parseSkeleton(file('1', '3', ...ids.flatMap((id, k) => body(id, 25, k))), 'three.skeleton');
    assert.deepEqual(
      sk.frames[0].bodies.map((b) => b.id),
      ids,
    );
    const b = sk.frames[0].bodies[2];
    assert.equal(b.joints[0], 2); // x of joint 0 of the third body
    assert.equal(b.leanX, -0.1159187);
    assert.equal(b.jointTracking[0], 2);
  });

  it('accepts LF as well as CRLF', () => {
    const text = file('1', '1', ...body('1')).replaceAll('\r\n', '\n');
    assert.equal(parseSkeleton(text, 'lf.skeleton').frames[0].bodies[0].jointCount, 25);
  });

  it('names the file and line of a wrong joint count', () => {
    const text = file('1', '1', ...body('1', 17));
    assert.throws(() => parseSkeleton(text, 'S001C001P001R001A001.skeleton'), {
      name: 'SkeletonFormatError',
      message: 'S001C001P001R001A001.skeleton line 4: expected 25 joints, got 17',
    });
  });

  it('names the file and line of a non-numeric value', () => {
    const lines = ['1', '1', ...body('1')];
    lines[7] = lines[7].replace('0.5', 'abc');
    assert.throws(
      () => parseSkeleton(file(...lines), 'bad.skeleton'),
      /^SkeletonFormatError: bad\.skeleton line 8: y is not a number: 'abc'$/,
    );
  });

  it('rejects a joint line with a missing value', () => {
    const lines = ['1', '1', ...body('1')];
    lines[10] = lines[10].split(' ').slice(0, 11).join(' ');
    assert.throws(
      () => parseSkeleton(file(...lines), 'short.skeleton'),
      /short\.skeleton line 11: expected 12 values on a joint line, got 11/,
    );
  });

  it('reports a truncated file with the frame it stopped in', () => {
    const lines = ['2', '1', ...body('1'), '1', ...body('1').slice(0, 10)];
    const err = (() => {
      try {
        parseSkeleton(file(...lines), 'cut.skeleton');
      } catch (e) {
        return e as SkeletonFormatError;
      }
    })();
    assert.ok(err instanceof SkeletonFormatError);
    assert.equal(err.line, 40);
    assert.match(
      err.message,
      /cut\.skeleton line 40: file ends inside frame 2 of 2, while expecting a joint line \(truncated file\?\)/,
    );
  });

  it('rejects an empty file, a negative count and data after the last frame', () => {
    assert.throws(() => parseSkeleton('', 'e.skeleton'), /e\.skeleton line 0: empty file/);
    assert.throws(
      () => parseSkeleton(file('-1'), 'n.skeleton'),
      /n\.skeleton line 1: frame count must be a non-negative integer/,
    );
    assert.throws(
      () => parseSkeleton(file('1', '0', '7'), 'x.skeleton'),
      /x\.skeleton line 3: unexpected data after the last of 1 frames/,
    );
  });

  it('rejects a body id that is not an integer and a bad tracking state', () => {
    const lines = ['1', '1', ...body('1')];
    assert.throws(
      () => parseSkeleton(file(...['1', '1', ...body('12a')]), 'id.skeleton'),
      /line 3: body id '12a' is not an unsigned integer/,
    );
    lines[5] = lines[5].replace(/ 2$/, ' 7');
    assert.throws(
      () => parseSkeleton(file(...lines), 'ts.skeleton'),
      /line 6: joint trackingState must be 0, 1 or 2, got 7/,
    );
  });

  it('writes what it reads (round trip through the writer)', () => {
    const sk = parseSkeleton(
      file('2', '2', ...body('72057594037931648'), ...body('72057594037931649', 25, 1), '0'),
      'rt.skeleton',
    );
    assert.deepEqual(parseSkeleton(formatSkeleton(sk), 'rt.skeleton'), sk);
  });

  it('formats numbers like the dataset (7 significant digits, .NET exponents)', () => {
    assert.equal(formatValue(0.2058097), '0.2058097');
    assert.equal(formatValue(367.327), '367.327');
    assert.equal(formatValue(-7.257856e-5), '-7.257856E-05');
    assert.equal(formatValue(3), '3');
    assert.equal(formatValue(0.1), '0.1');
  });
});

const REAL = join(process.cwd(), '..', 'shared', 'data', 'ntu-samples');
describe('ntu-reader on real NTU recordings', { skip: existsSync(REAL) ? false : `${REAL} not present` }, () => {
  it('reads the five samples with the documented frame counts and re-writes them byte for byte', () => {
    const expected: Record<string, number> = { A011: 82, A058: 70, A003: 100, A034: 71, A017: 124 };
    const files = readdirSync(REAL).filter((f) => f.endsWith('.skeleton'));
    assert.equal(files.length, 5);
    for (const f of files) {
      const text = readFileSync(join(REAL, f), 'latin1');
      const sk = parseSkeleton(text, f);
      assert.equal(sk.frames.length, expected[f.slice(16, 20)], f);
      assert.equal(formatSkeleton(sk), text, `${f} re-written differs`);
      if (f.includes('A058')) assert.ok(sk.frames.every((fr) => fr.bodies.length === 2));
    }
  });
});
