#!/usr/bin/env node
// indrnn <command>: one entry point for training, data, export, prediction and serving.
import { Command } from 'commander';
import { registerData } from './cli/data.js';
import { registerEval } from './cli/eval.js';
import { registerExport } from './cli/export.js';
import { registerPredict } from './cli/predict.js';
import { registerServe } from './cli/serve.js';
import { registerTrain } from './cli/train.js';
import { reexecWithLaunchSettings } from './util/allocator.js';
import { stopWithLauncher } from './util/launcher-watch.js';

export function buildProgram(): Command {
  const program = new Command('indrnn')
    .description('Independently recurrent neural networks for skeleton action recognition')
    .showHelpAfterError()
    .version(process.env.npm_package_version ?? '0.1.0');
  registerTrain(program);
  registerData(program);
  registerEval(program);
  registerExport(program);
  registerPredict(program);
  registerServe(program);
  return program;
}

if (!reexecWithLaunchSettings()) {
  stopWithLauncher();
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`indrnn: ${msg}\n`);
      if (process.env.INDRNN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    });
}
