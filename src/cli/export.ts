// indrnn export: checkpoint -> ONNX file, with the run's plots beside it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { writeModelFile } from '../export/network-to-onnx.js';
import { type PlotKind, plotFile } from '../host/model-plots.js';
import { exportCheckpoint } from '../train/checkpoint-to-onnx.js';
import { CONFUSION_FILE, CURVES_FILE } from '../train/plots.js';
import { writeFileAtomic } from '../util/atomic-write.js';

const RUN_PLOTS: readonly [PlotKind, string][] = [
  ['curves', CURVES_FILE],
  ['confusion', CONFUSION_FILE],
];

/**
 * The run's plots (curves.svg from train, confusion.svg from eval, beside the checkpoint) copied beside the
 * model under its name (x.onnx -> x-curves.svg), where the server finds them. A plot older than the
 * checkpoint is not of these weights: left out, and said. Returns the files written and the notes.
 */
function copyRunPlots(checkpoint: string, model: string): { written: string[]; notes: string[] } {
  const written: string[] = [];
  const notes: string[] = [];
  const weights = statSync(checkpoint).mtimeMs;
  for (const [kind, name] of RUN_PLOTS) {
    const from = join(dirname(checkpoint), name);
    const to = plotFile(model, kind);
    const fresh = existsSync(from) && statSync(from).mtimeMs >= weights;
    if (fresh) {
      writeFileAtomic(to, readFileSync(from));
      written.push(to);
      continue;
    }
    if (existsSync(from))
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
    .requiredOption('--checkpoint <file>', 'checkpoint.safetensors written by indrnn train')
    .requiredOption(
      '--out <file>',
      "the .onnx file to write; the run's curves.svg and confusion.svg are copied beside it as <out>-curves.svg, <out>-confusion.svg",
    )
    .option('--name <name>', 'model name served under /v1/models/<name> (default <task>-<arch>)')
    .option('--model-version <v>', 'model version string', '1')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  indrnn export --checkpoint runs/adding-seed1/checkpoint.safetensors --out models/adding.onnx',
    )
    .action((opts: { checkpoint: string; out: string; name?: string; modelVersion: string; json?: boolean }) => {
      const bytes = exportCheckpoint(opts.checkpoint, { name: opts.name, version: opts.modelVersion });
      writeModelFile(opts.out, bytes);
      const plots = copyRunPlots(opts.checkpoint, opts.out);
      const info = {
        model: opts.out,
        bytes: statSync(opts.out).size,
        checkpoint: opts.checkpoint,
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
