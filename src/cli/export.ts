// indrnn export: checkpoint -> ONNX file.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { writeModelFile } from '../export/network-to-onnx.js';
import { exportCheckpoint } from '../train/checkpoint-to-onnx.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a trained checkpoint as one self-describing ONNX model (each IndRNN recurrence an ONNX Loop)')
    .requiredOption('--checkpoint <file>', 'checkpoint.safetensors written by indrnn train')
    .requiredOption('--out <file>', 'the .onnx file to write')
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
      const info = { model: opts.out, bytes: statSync(opts.out).size, checkpoint: opts.checkpoint };
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else process.stderr.write(`wrote ${info.model} (${(info.bytes / 1e6).toFixed(2)} MB)\n`);
    });
}
