// The folder formats `indrnn data build --format` reads, one entry per reader: adding a reader = its
// reader and builder (build-datasets.ts) + one entry here; the command's flags, help and errors follow.
import { z } from 'zod';
import { intListValue, parseOptions, withFlag } from '../util/option-schema.js';
import { type BuildReport, buildNtuCache, type CommonBuildOptions } from './build.js';
import { buildNuclaCache, buildPennActionCache, buildPkuMmdCache } from './build-datasets.js';

export interface DataFormat {
  /** The --format value. */
  name: string;
  /** What it reads, for the command's description: 'N-UCLA clips'. */
  description: string;
  /** What a folder of it holds, for --format's help. */
  folder: string;
  /** Bodies per frame unless --bodies says otherwise. */
  bodies: number;
  /** What the build's progress counts: 'files', 'recordings'. */
  unit: string;
  /** The format's own options: checks, defaults and flags (optionFlags). */
  options: z.ZodObject;
  /** Reads the folder `o.raw` into the cache `o.out`, `options` read through the schema first. */
  build(o: CommonBuildOptions & { raw: string }, options: unknown): BuildReport;
}

function format<S extends z.ZodObject>(
  f: Omit<DataFormat, 'options' | 'build'> & {
    options: S;
    build(o: CommonBuildOptions & { raw: string; bodies: number }, options: z.output<S>): BuildReport;
  },
): DataFormat {
  const where = `--format ${f.name}`;
  return { ...f, build: (o, x) => f.build({ ...o, bodies: o.bodies ?? f.bodies }, parseOptions(f.options, x, where)) };
}

export const DATA_FORMATS: readonly DataFormat[] = [
  format({
    name: 'ntu',
    description: 'NTU .skeleton files',
    folder: 'SsssCcccPpppRrrrAaaa.skeleton files or `data synth` output',
    bodies: 2,
    unit: 'files',
    options: z.object({
      includeMissing: withFlag(
        z.boolean().optional(),
        '--include-missing',
        "keep NTU-60's 302 samples with missing skeletons (left out by default for real data)",
      ),
      actions: withFlag(
        intListValue.optional(),
        '--actions <ids>',
        'action ids that make the class list, in label order (default: the synthetic manifest, else all found)',
      ),
    }),
    build: (o, x) => buildNtuCache({ ...o, excludeMissing: x.includeMissing ? false : undefined, actions: x.actions }),
  }),
  format({
    name: 'nucla',
    description: 'N-UCLA clips',
    folder: 'N-UCLA JSON clips',
    bodies: 1,
    unit: 'clips',
    options: z.object({}),
    build: (o) => buildNuclaCache(o),
  }),
  format({
    name: 'pku-mmd',
    description: 'PKU-MMD recordings',
    folder: 'skeleton/, label/, actions.csv',
    bodies: 2,
    unit: 'recordings',
    options: z.object({
      classes: withFlag(
        intListValue.optional(),
        '--classes <ids>',
        'class numbers (1-51) to keep, in label order (default: all that occur)',
      ),
      untrimmed: withFlag(
        z.boolean().optional(),
        '--untrimmed',
        'whole recordings with a label per frame instead of clips cut at the intervals',
      ),
    }),
    build: (o, x) => buildPkuMmdCache({ ...o, ...x }),
  }),
  format({
    name: 'penn-action',
    description: 'Penn Action clips',
    folder: 'labels/NNNN.mat (MATLAB 5) or the labels folder itself',
    bodies: 1,
    unit: 'clips',
    options: z.object({}),
    build: (o) => buildPennActionCache(o),
  }),
];
