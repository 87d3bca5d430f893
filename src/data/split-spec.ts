// Train/test splits for any data set, as written on the command line:
//   ntu60-xsub, ntu60-xview, ntu120-xsub, ntu120-xset   the NTU protocols (need NTU sample names)
//   subjects:1,3,5-9      those subjects train, every other sample tests
//   cameras:1,2           those cameras (views) train, the rest test
//   recordings:1-249      those recordings train (PKU-MMD: a recording is one video)
//   given                 each sample's own "split" ("train" | "test"), stored in the cache
//   random:0.2[:SEED]     a seeded random 20 % of each class tests (stratified; seed 1 unless given)
//   all                   every sample trains, none tests (the final model, once a recipe is chosen on a split)
// Any of them may be narrowed by part filters, joined with '+': `train-FIELD:ids` keeps in the training part
// only the samples whose FIELD (cameras, subjects or recordings) is listed, `test-FIELD:ids` the same for
// the test part; the samples a filter drops are in neither part. So one attribute splits and another one
// narrows, e.g. PKU-MMD's off-camera benchmark:
//   recordings:1-249+train-cameras:2      train on the middle camera of videos 1-249, test every camera of 250+
//   recordings:1-249+test-cameras:1       the test part is the left camera of videos 250 and above
// Lists take single ids and inclusive ranges. Every sample is placed from what the cache stores per
// sample (id, label, meta), so `data build --split`, `train --split` and `eval --split` agree.
import { Rng } from '../util/rng.js';
import { parseNtuName } from './ntu-name.js';
import { parseSplitName, SPLIT_NAMES, type SplitName, type SplitPart, splitPart } from './splits.js';

/** A split by one rule: every sample it covers is in the training or the test part. */
export type SingleSplit =
  | { kind: 'ntu'; name: SplitName }
  | { kind: 'subjects' | 'cameras' | 'recordings'; train: ReadonlySet<number> }
  | { kind: 'given' | 'all' }
  | { kind: 'random'; testFraction: number; seed: number };

/** The per-sample fields a split or a part filter reads. */
type IdField = 'subject' | 'camera' | 'recording';
const ID_FIELDS = { subjects: 'subject', cameras: 'camera', recordings: 'recording' } as const;

/** Keeps in `part` only the samples whose `field` is in `keep` (`train-cameras:2`). */
export interface PartFilter {
  part: SplitPart;
  field: IdField;
  keep: ReadonlySet<number>;
}

/** A single split, or one narrowed by part filters (`recordings:1-249+train-cameras:2`). */
export type Split = SingleSplit | { kind: 'filtered'; base: SingleSplit; filters: readonly PartFilter[] };

/** Split forms for help texts. */
export const SPLIT_FORMS = `${SPLIT_NAMES.join(', ')}, subjects:1,3,5-9, cameras:1,2, recordings:1-249, given, random:0.2[:SEED], all (no test part); narrowed by +train-cameras:2, +test-cameras:1,3 (also -subjects:, -recordings:)`;

/** "1,3,5-9" -> {1, 3, 5, 6, 7, 8, 9}. */
function idList(text: string, what: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new RangeError(`split ${what}: '${part}' is not an id or a range a-b (in '${text}')`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 100_000) throw new RangeError(`split ${what}: range '${part}' is empty or too long`);
    for (let k = lo; k <= hi; k++) out.add(k);
  }
  return out;
}

/** Parses a split as written on the command line; unknown forms list the known ones. */
export function parseSplit(text: string): Split {
  const [head, ...rest] = text.split('+');
  const base = parseSingleSplit(head);
  if (rest.length === 0) return base;
  return { kind: 'filtered', base, filters: rest.map(parsePartFilter) };
}

/** Whether a split has no test part by design (`all`, perhaps narrowed), not by an accident of the data. */
export function splitTestsNothing(split: Split): boolean {
  return (split.kind === 'filtered' ? split.base : split).kind === 'all';
}

/** `train-cameras:2` -> keep cameras {2} in the training part. */
function parsePartFilter(text: string): PartFilter {
  const m = /^\s*(train|test)-(cameras|subjects|recordings):(.*)$/.exec(text);
  if (!m)
    throw new RangeError(
      `split filter '${text}' is not train-FIELD:ids or test-FIELD:ids (FIELD: cameras, subjects, recordings; e.g. train-cameras:2)`,
    );
  const [, part, field, ids] = m;
  if (ids.trim() === '')
    throw new RangeError(`split filter ${part}-${field}: give the ${field} to keep, e.g. ${part}-${field}:1,2`);
  return {
    part: part as SplitPart,
    field: ID_FIELDS[field as keyof typeof ID_FIELDS],
    keep: idList(ids, `${part}-${field}`),
  };
}

function parseSingleSplit(text: string): SingleSplit {
  const s = text.trim();
  const colon = s.indexOf(':');
  const head = colon < 0 ? s : s.slice(0, colon);
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  switch (head) {
    case 'subjects':
    case 'cameras':
    case 'recordings':
      if (rest === '') throw new RangeError(`split ${head}: give the training ${head}, e.g. ${head}:1,2`);
      return { kind: head, train: idList(rest, head) };
    case 'given':
    case 'all':
      if (rest !== '') throw new RangeError(`split ${head} takes no value (got '${s}')`);
      return { kind: head };
    case 'random': {
      const [f, seed = '1'] = rest.split(':');
      const testFraction = Number(f);
      if (f === '' || !(testFraction > 0 && testFraction < 1))
        throw new RangeError(`split random: the test fraction must be in (0, 1), got '${f}' (e.g. random:0.2)`);
      if (!/^\d+$/.test(seed)) throw new RangeError(`split random: the seed must be a whole number, got '${seed}'`);
      return { kind: 'random', testFraction, seed: Number(seed) };
    }
    default:
      try {
        return { kind: 'ntu', name: parseSplitName(s) };
      } catch {
        throw new RangeError(`unknown split '${s}' (known forms: ${SPLIT_FORMS})`);
      }
  }
}

/** What a split needs to know of one sample. split: 1 = train, 2 = test, 0 = not given. */
export interface SplitSample {
  id: string;
  label: number;
  subject: number;
  camera: number;
  recording: number;
  split: number;
}

/**
 * The part of every sample: 'train', 'test', or null where the split does not cover it (NTU-60 splits on
 * NTU-120 samples). `where` names the data in errors.
 */
export function assignSplit(samples: readonly SplitSample[], split: Split, where: string): (SplitPart | null)[] {
  if (split.kind !== 'filtered') return assignSingleSplit(samples, split, where);
  const parts = assignSingleSplit(samples, split.base, where);
  for (const f of split.filters) {
    const name = `${f.part}-${f.field}s`;
    samples.forEach((s, i) => {
      if (parts[i] !== f.part) return;
      if (s[f.field] === 0)
        throw new RangeError(
          `${where}: sample '${s.id}' has no ${f.field}, so split filter ${name}:... cannot place it`,
        );
      if (!f.keep.has(s[f.field])) parts[i] = null;
    });
  }
  return parts;
}

function assignSingleSplit(samples: readonly SplitSample[], split: SingleSplit, where: string): (SplitPart | null)[] {
  switch (split.kind) {
    case 'ntu':
      return samples.map((s) => {
        const n = parseNtuName(s.id);
        if (!n)
          throw new RangeError(
            `${where}: sample '${s.id}' has no NTU name, so split ${split.name} cannot place it; ` +
              'use subjects:..., cameras:..., given or random:0.2 for other data',
          );
        return splitPart(n, split.name);
      });
    case 'subjects':
    case 'cameras':
    case 'recordings': {
      const field = ID_FIELDS[split.kind];
      return samples.map((s) => {
        if (s[field] === 0)
          throw new RangeError(
            `${where}: sample '${s.id}' has no ${field}, so split ${split.kind}:... cannot place it`,
          );
        return split.train.has(s[field]) ? 'train' : 'test';
      });
    }
    case 'given':
      return samples.map((s) => {
        if (s.split === 0)
          throw new RangeError(
            `${where}: sample '${s.id}' has no "split" ("train" or "test"), so split given cannot place it`,
          );
        return s.split === 1 ? 'train' : 'test';
      });
    case 'random':
      return randomSplit(samples, split.testFraction, split.seed);
    case 'all':
      return samples.map(() => 'train');
  }
}

const RANDOM_SPLIT_STREAM = 0x5_1_17;
const VALIDATION_STREAM = 0x7a_11d;
const PER_CLASS_STREAM = 0x9e_c1a55;

/** Indices of the samples per class (label), each list in a seeded shuffle of its own; classes in label order. */
function shuffledByClass(samples: readonly { label: number }[], seed: number, stream: number): number[][] {
  const byClass = new Map<number, number[]>();
  samples.forEach((s, i) => {
    const list = byClass.get(s.label) ?? [];
    list.push(i);
    byClass.set(s.label, list);
  });
  return [...byClass]
    .sort((a, b) => a[0] - b[0])
    .map(([label, list]) => {
      const rng = new Rng(seed, stream, label + 1);
      for (let i = list.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [list[i], list[j]] = [list[j], list[i]];
      }
      return list;
    });
}

/** Per class (label), a seeded shuffle; the first round(n * fraction) test. */
function randomSplit(samples: readonly SplitSample[], testFraction: number, seed: number): SplitPart[] {
  const out = new Array<SplitPart>(samples.length).fill('train');
  for (const list of shuffledByClass(samples, seed, RANDOM_SPLIT_STREAM)) {
    const nTest = Math.round(list.length * testFraction);
    for (let k = 0; k < nTest; k++) out[list[k]] = 'test';
  }
  return out;
}

/**
 * Positions (ascending) of at most k samples of each class, a seeded draw per class (few-shot training
 * sets: `indrnn train --per-class K`). Samples without a class (label < 0) are left out.
 */
export function keepPerClass(samples: readonly { label: number }[], k: number, seed: number): number[] {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`per-class count must be a whole number >= 1, got ${k}`);
  return shuffledByClass(samples, seed, PER_CLASS_STREAM)
    .filter((list) => samples[list[0]].label >= 0)
    .flatMap((list) => list.slice(0, k))
    .sort((a, b) => a - b);
}

/** What carving a validation part needs to know of one training sample (0 = unknown subject / recording). */
export interface ValidationSample {
  label: number;
  subject: number;
  recording: number;
}

/** How a validation part was carved: whole recordings, whole subjects, or samples drawn per class. */
export type ValidationGrouping = 'recording' | 'subject' | 'stratified';

export interface ValidationCarve {
  /** Positions (in the given samples) that train and that validate, each ascending. */
  train: number[];
  validation: number[];
  /** How it was carved; null when nothing could be (fraction 0, or too few samples for it). */
  grouping: ValidationGrouping | null;
  /** Whole groups (recordings or subjects) in the validation part; 0 when stratified. */
  groups: number;
}

/** Distinct recordings / subjects a training part needs for whole groups of them to validate. */
export const MIN_VALIDATION_GROUPS = { recording: 5, subject: 4 } as const;

/**
 * Carves a validation part out of a training part, seeded and pure: whole recordings when every sample has
 * one and there are at least 5 (clips of one recording never sit on both sides), else whole subjects when
 * every sample has one and there are at least 4 (the validation part is people the model has not seen),
 * else per class, a seeded round(n * fraction) of its samples (as random:FRACTION). Whole groups are taken
 * in a seeded order while each brings the part closer to fraction * n samples; a grouping that cannot take
 * one group without going past twice that falls through to the next. No class loses its last training
 * sample (labels < 0 are not classes). The result may be empty (fraction 0, or a very small part).
 */
export function carveValidation(samples: readonly ValidationSample[], fraction: number, seed: number): ValidationCarve {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  const target = fraction * samples.length;
  if (target > 0) {
    for (const field of ['recording', 'subject'] as const) {
      const groups = groupsOf(samples, field);
      if (groups === null || groups.length < MIN_VALIDATION_GROUPS[field]) continue;
      const chosen = chooseGroups(
        samples,
        groups,
        target,
        new Rng(seed, VALIDATION_STREAM, field === 'recording' ? 1 : 2),
      );
      if (chosen.length > 0) return carveResult(samples.length, chosen.flat(), field, chosen.length);
    }
    const picked = shuffledByClass(samples, seed, VALIDATION_STREAM).flatMap((list) =>
      list.slice(0, Math.min(Math.round(list.length * fraction), list.length - 1)),
    );
    if (picked.length > 0) return carveResult(samples.length, picked, 'stratified', 0);
  }
  return carveResult(samples.length, [], null, 0);
}

/** The samples of each distinct value of `field`, in ascending value order; null when a sample lacks it. */
function groupsOf(samples: readonly ValidationSample[], field: 'recording' | 'subject'): number[][] | null {
  const byValue = new Map<number, number[]>();
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i][field];
    if (v === 0) return null;
    const list = byValue.get(v) ?? [];
    list.push(i);
    byValue.set(v, list);
  }
  return [...byValue].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
}

/** Whole groups in a seeded order, each taken while it brings the count closer to `target` and leaves every class a sample. */
function chooseGroups(samples: readonly ValidationSample[], groups: number[][], target: number, rng: Rng): number[][] {
  const left = new Map<number, number>();
  for (const s of samples) left.set(s.label, (left.get(s.label) ?? 0) + 1);
  const chosen: number[][] = [];
  let count = 0;
  for (const g of rng.shuffle(groups.slice())) {
    if (count >= target) break;
    if (Math.abs(count + g.length - target) >= target - count) continue;
    const taken = new Map<number, number>();
    for (const i of g) taken.set(samples[i].label, (taken.get(samples[i].label) ?? 0) + 1);
    if ([...taken].some(([label, n]) => label >= 0 && left.get(label)! - n < 1)) continue;
    for (const [label, n] of taken) left.set(label, left.get(label)! - n);
    chosen.push(g);
    count += g.length;
  }
  return chosen;
}

function carveResult(
  n: number,
  validation: number[],
  grouping: ValidationGrouping | null,
  groups: number,
): ValidationCarve {
  const inValidation = new Uint8Array(n);
  for (const i of validation) inValidation[i] = 1;
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) (inValidation[i] ? val : train).push(i);
  return { train, validation: val, grouping, groups };
}

/** Names of the classes that have samples but none in the training part (the model cannot learn them). */
export function classesMissingFromTraining(
  labels: readonly number[],
  parts: readonly (SplitPart | null)[],
  names: readonly string[],
): string[] {
  const seen = new Set<number>();
  const trained = new Set<number>();
  labels.forEach((l, i) => {
    if (l < 0) return;
    seen.add(l);
    if (parts[i] === 'train') trained.add(l);
  });
  return [...seen]
    .filter((l) => !trained.has(l))
    .sort((a, b) => a - b)
    .map((l) => names[l]);
}
