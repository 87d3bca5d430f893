// indrnn eval: per-class accuracy and confusion matrix of a checkpoint on its task's held-out set.
import type { Command } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import { loadNetwork } from '../train/checkpoint.js';
import { classReport } from '../train/confusion.js';
import { createTask } from '../train/tasks/index.js';
import { intOption } from './options.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description("per-class accuracy and confusion matrix of a checkpoint on its task's held-out set")
    .requiredOption('--checkpoint <file>', 'checkpoint.safetensors from indrnn train')
    .option('--split <split>', 'skeleton task: evaluate on another split than the one trained on (forms as in train)')
    .option('--batch-size <n>', 'sequences per batch', intOption(1), 256)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { checkpoint: string; split?: string; batchSize: number; json?: boolean }) => {
      const backend = new OrtBackend();
      try {
        const { net, ckpt } = loadNetwork(opts.checkpoint, backend);
        const spec = ckpt.config.task;
        const task = createTask(
          { ...spec, options: { ...spec.options, ...(opts.split ? { split: opts.split } : {}) } },
          ckpt.config.seed,
        );
        const report = await classReport(net, task, opts.batchSize);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        process.stdout.write(`accuracy ${(report.accuracy * 100).toFixed(2)} % on ${report.count} sequences\n`);
        for (const c of report.perClass)
          process.stdout.write(`  ${(c.accuracy * 100).toFixed(1).padStart(5)} %  ${c.label} (${c.count})\n`);
      } finally {
        await backend.release();
      }
    });
}
