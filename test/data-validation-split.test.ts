// The validation part carved out of a training part: whole recordings, else whole subjects, else per class;
// seeded; about the asked fraction; no class loses its last training sample.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carveValidation, type ValidationSample } from '../src/data/split-spec.js';

/** groups x perGroup samples, labels cycling through `classes`; `field` names what a group is (0 for the other). */
function grouped(field: 'recording' | 'subject', groups: number, perGroup: number, classes = 3): ValidationSample[] {
  const out: ValidationSample[] = [];
  for (let g = 1; g <= groups; g++)
    for (let k = 0; k < perGroup; k++)
      out.push({ label: k % classes, subject: field === 'subject' ? g : 0, recording: field === 'recording' ? g : 0 });
  return out;
}

/** Values of `field` found on both sides of the carve. */
function splitGroups(samples: ValidationSample[], validation: number[], field: 'recording' | 'subject'): number[] {
  const inVal = new Set(validation);
  const val = new Set(validation.map((i) => samples[i][field]));
  return [...new Set(samples.filter((_, i) => !inVal.has(i)).map((s) => s[field]))].filter((v) => val.has(v));
}

describe('validation carve', () => {
  it('takes whole recordings when there are at least 5, about the asked fraction', () => {
    // 10 recordings of 6 clips; each recording has its own two subjects, so subjects could group too.
    const samples = grouped('recording', 10, 6).map((s, i) => ({ ...s, subject: 1 + (i % 12) }));
    const c = carveValidation(samples, 0.2, 1);
    assert.equal(c.grouping, 'recording');
    assert.equal(c.groups, 2);
    assert.equal(c.validation.length, 12);
    assert.deepEqual(splitGroups(samples, c.validation, 'recording'), [], 'no recording on both sides');
    assert.deepEqual(
      [...c.train, ...c.validation].sort((a, b) => a - b),
      [...samples.keys()],
    );
  });

  it('takes whole subjects when recordings are unknown or fewer than 5, and there are at least 4 subjects', () => {
    const bySubject = grouped('subject', 8, 10);
    const c = carveValidation(bySubject, 0.1, 1);
    assert.equal(c.grouping, 'subject');
    assert.deepEqual([c.groups, c.validation.length], [1, 10]);
    assert.deepEqual(splitGroups(bySubject, c.validation, 'subject'), []);
    // 4 recordings only (too few), each with 2 of 8 subjects: subjects group.
    const fewRecordings = grouped('subject', 8, 10).map((s) => ({ ...s, recording: Math.ceil(s.subject / 2) }));
    assert.equal(carveValidation(fewRecordings, 0.1, 1).grouping, 'subject');
  });

  it('draws per class when neither groups (3 subjects), round(n x fraction) of each class', () => {
    const samples = grouped('subject', 3, 20, 2); // 30 samples of each of 2 classes
    const c = carveValidation(samples, 0.1, 1);
    assert.equal(c.grouping, 'stratified');
    const perClass = [0, 1].map((label) => c.validation.filter((i) => samples[i].label === label).length);
    assert.deepEqual(perClass, [3, 3]);
  });

  it('falls through to per class when whole groups cannot come near the fraction', () => {
    // 5 recordings of 20 %: one would be four times the 5 % asked.
    const samples = grouped('recording', 5, 20);
    const c = carveValidation(samples, 0.05, 1);
    assert.equal(c.grouping, 'stratified');
    assert.ok(c.validation.length >= 3 && c.validation.length <= 6, `${c.validation.length} samples`);
  });

  it('is a pure function of (samples, fraction, seed)', () => {
    const samples = grouped('subject', 20, 5);
    const a = carveValidation(samples, 0.2, 1);
    assert.deepEqual(carveValidation(samples, 0.2, 1), a);
    const others = [2, 3, 4, 5].map((seed) => carveValidation(samples, 0.2, seed).validation.join());
    assert.ok(
      others.some((v) => v !== a.validation.join()),
      'other seeds choose other subjects',
    );
  });

  it('respects the fraction approximately, in whole groups', () => {
    for (const fraction of [0.1, 0.2, 0.3]) {
      const samples = grouped('recording', 40, 5);
      const c = carveValidation(samples, fraction, 7);
      assert.ok(Math.abs(c.validation.length - fraction * 200) <= 2.5, `${c.validation.length} of 200 for ${fraction}`);
    }
  });

  it('never takes the last training sample of a class', () => {
    // Class 9 is performed only by subject 1; class 8 has 2 samples in all (per class draws).
    const bySubject = [...grouped('subject', 5, 6), { label: 9, subject: 1, recording: 0 }];
    for (let seed = 1; seed <= 20; seed++) {
      const c = carveValidation(bySubject, 0.5, seed);
      assert.ok(
        c.train.some((i) => bySubject[i].label === 9),
        `seed ${seed}: class 9 left training`,
      );
      assert.ok(!c.validation.some((i) => bySubject[i].subject === 1), 'subject 1 carries class 9: it trains');
    }
    const perClass = [...grouped('subject', 2, 10, 2), { label: 8, subject: 1, recording: 0 }];
    const both = { label: 7, subject: 2, recording: 0 };
    const c = carveValidation([...perClass, both, both], 0.9, 1);
    assert.equal(c.grouping, 'stratified');
    for (const label of [0, 1, 7, 8])
      assert.ok(
        c.train.some((i) => [...perClass, both, both][i].label === label),
        `class ${label} keeps a training sample`,
      );
  });

  it('is empty for fraction 0 or a part too small to hold any out; refuses fractions outside [0, 1)', () => {
    const samples = grouped('subject', 2, 2, 2);
    assert.deepEqual(carveValidation(samples, 0, 1), {
      train: [0, 1, 2, 3],
      validation: [],
      grouping: null,
      groups: 0,
    });
    assert.equal(carveValidation(samples, 0.1, 1).validation.length, 0);
    assert.throws(() => carveValidation(samples, 1, 1), /validation fraction must be in \[0, 1\), got 1/);
    assert.throws(() => carveValidation(samples, -0.1, 1), RangeError);
  });
});
