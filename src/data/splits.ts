// The standard NTU evaluation protocols, decided from the sample name alone.
import { NTU60_MISSING_SKELETONS } from './ntu-missing.js';
import type { NtuSampleName } from './ntu-name.js';

export type SplitName = 'ntu60-xsub' | 'ntu60-xview' | 'ntu120-xsub' | 'ntu120-xset';
export type SplitPart = 'train' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['ntu60-xsub', 'ntu60-xview', 'ntu120-xsub', 'ntu120-xset'];

/** NTU-60 cross-subject training performers (Shahroudy et al., CVPR 2016). */
export const NTU60_XSUB_TRAIN: ReadonlySet<number> = new Set([
  1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
]);
/** NTU-60 cross-view training cameras. */
export const NTU60_XVIEW_TRAIN: ReadonlySet<number> = new Set([2, 3]);
/** NTU-120 cross-subject training performers (Liu et al., TPAMI 2019). */
export const NTU120_XSUB_TRAIN: ReadonlySet<number> = new Set([
  1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38, 45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57,
  58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103,
]);

/** True for samples of NTU RGB+D 60 (setups 1-17, actions 1-60). */
export function isNtu60(n: NtuSampleName): boolean {
  return n.setup >= 1 && n.setup <= 17 && n.action >= 1 && n.action <= 60;
}

/** Which part of `split` a sample belongs to; null when the split does not cover it (NTU-60 splits on 61+). */
export function splitPart(n: NtuSampleName, split: SplitName): SplitPart | null {
  switch (split) {
    case 'ntu60-xsub':
      return isNtu60(n) ? (NTU60_XSUB_TRAIN.has(n.performer) ? 'train' : 'test') : null;
    case 'ntu60-xview':
      return isNtu60(n) ? (NTU60_XVIEW_TRAIN.has(n.camera) ? 'train' : 'test') : null;
    case 'ntu120-xsub':
      return NTU120_XSUB_TRAIN.has(n.performer) ? 'train' : 'test';
    case 'ntu120-xset':
      return n.setup % 2 === 0 ? 'train' : 'test';
  }
}

/** Parses a split name given on a command line or in a config. */
export function parseSplitName(s: string): SplitName {
  if (!(SPLIT_NAMES as readonly string[]).includes(s)) {
    throw new RangeError(`unknown split '${s}' (known: ${SPLIT_NAMES.join(', ')})`);
  }
  return s as SplitName;
}

/** True when `id` (sample name without extension) is one of the 302 NTU-60 samples with missing skeletons. */
export function hasMissingSkeleton(id: string): boolean {
  return NTU60_MISSING_SKELETONS.has(id);
}
