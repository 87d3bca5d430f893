// indrnn export: checkpoint -> ONNX file, with the run's plots beside it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { writeModelFile } from '../export/network-to-onnx.js';
import { type PlotKind, plotFile } from '../host/model-plots.js';
import { exportCheckpoint, exportCheckpointEnsemble } from '../train/checkpoint-to-onnx.js';
import { CONFUSION_FILE, CURVES_FILE } from '../train/plots.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const RUN_PLOTS: readonly [PlotKind, string][] = [
  ['curves', CURVES_FILE],
  ['confusion', CONFUSION_FILE],
];

/**
 * The run's plots (curves.svg from train, confusion.svg from eval, beside the checkpoint) copied beside the
 * model under its name (x.onnx -> x-curves.svg), where the server finds them. A plot older than the
 * checkpoint is not of these weights: left out, and said. An ensemble (checkpoint null) has no run of its
 * own: nothing is copied (indrnn eval --model writes its confusion matrix). Returns the files written and the notes.
 */
function copyRunPlots(checkpoint: string | null, model: string): { written: string[]; notes: string[] } {
  const written: string[] = [];
  const notes: string[] = [];
  const weights = checkpoint ? statSync(checkpoint).mtimeMs : 0;
  for (const [kind, name] of RUN_PLOTS) {
    const from = checkpoint ? join(dirname(checkpoint), name) : null;
    const to = plotFile(model, kind);
    const fresh = from !== null && existsSync(from) && statSync(from).mtimeMs >= weights;
    if (fresh) {
      writeFileAtomic(to, readFileSync(from));
      written.push(to);
      continue;
    }
    if (from && existsSync(from))
      notes.push(
        `${from} is older than the checkpoint: not copied (run indrnn ${kind === 'curves' ? 'train' : 'eval'} again)`,
      );
    if (existsSync(to)) notes.push(`${to} is left from an earlier model: the server shows it with this one; delete it`);
  }
  return { written, notes };
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a trained checkpoint as one self-describing ONNX model (each IndRNN recurrence an ONNX Loop)')
    .requiredOption(
      '--checkpoint <file>',
      'checkpoint.safetensors written by indrnn train; given several times (seeds of one recipe): one ensemble model averaging their log-probabilities',
      (file: string, given: string[] = []) => [...given, file],
    )
    .requiredOption(
      '--out <file>',
      "the .onnx file to write; the run's curves.svg and confusion.svg are copied beside it as <out>-curves.svg, <out>-confusion.svg",
    )
    .option('--name <name>', 'model name served under /v1/models/<name> (default <task>-<arch>)')
    .option('--model-version <v>', 'model version string', '1')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  indrnn export --checkpoint runs/adding-seed1/checkpoint.safetensors --out models/adding.onnx',
        '  indrnn export --checkpoint runs/s1/checkpoint.safetensors --checkpoint runs/s2/checkpoint.safetensors --out models/ensemble.onnx',
      ].join('\n'),
    )
    .action((opts: { checkpoint: string[]; out: string; name?: string; modelVersion: string; json?: boolean }) => {
      const [one, ...more] = opts.checkpoint;
      const o = { name: opts.name, version: opts.modelVersion };
      const bytes = more.length ? exportCheckpointEnsemble(opts.checkpoint, o) : exportCheckpoint(one, o);
      writeModelFile(opts.out, bytes);
      const plots = copyRunPlots(more.length ? null : one, opts.out);
      const info = {
        model: opts.out,
        bytes: statSync(opts.out).size,
        checkpoint: more.length ? opts.checkpoint : one,
        plots: plots.written,
      };
      for (const note of plots.notes) process.stderr.write(`${note}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else {
        const also = plots.written.length ? ` and ${plots.written.join(', ')}` : '';
        process.stderr.write(`wrote ${info.model} (${(info.bytes / 1e6).toFixed(2)} MB)${also}\n`);
      }
    });
}
