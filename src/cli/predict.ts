// indrnn predict: run an exported model or a checkpoint on one sequence; both print the same JSON,
// so users can verify an export themselves.
import { type Command, Option } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import { seq } from '../nn/seq.js';
import type { ModelLabel } from '../onnx/metadata.js';
import { IndrnnModel, type ProviderChoice } from '../onnx/model.js';
import { readSequenceFile } from '../predict/input.js';
import { classPrediction, type ResultOptions, regressionPrediction } from '../predict/result.js';
import { labelsOf, loadNetwork } from '../train/checkpoint.js';
import { intOption } from './options.js';

interface PredictOptions {
  model?: string;
  checkpoint?: string;
  input: string;
  topK: number;
  timeline?: boolean;
  device: ProviderChoice;
}

interface Logits {
  logits: Float32Array; // [T, 1, K]
  K: number;
  labels: ModelLabel[];
  regression: boolean;
}

async function fromModel(path: string, input: string, device: ProviderChoice): Promise<Logits & { T: number }> {
  const model = await IndrnnModel.load(path, {
    provider: device,
    onFallback: (r) => process.stderr.write(`using CPU: ${r}\n`),
  });
  try {
    const { x, T } = readSequenceFile(input, model.inputSize);
    const { logits } = await model.run(x, T, 1);
    const m = model.metadata;
    return { logits, T, K: model.numOutputs, labels: m.labels, regression: m.task_kind === 'regression' };
  } finally {
    await model.release();
  }
}

async function fromCheckpoint(path: string, input: string): Promise<Logits & { T: number }> {
  const backend = new OrtBackend();
  try {
    const { net, ckpt } = loadNetwork(path, backend, { readout: 'all' });
    const { x, T } = readSequenceFile(input, net.config.inputSize);
    const out = await net.forward(seq(x, T, 1, net.config.inputSize), { training: false });
    return { logits: out.data, T, K: out.C, labels: labelsOf(ckpt), regression: ckpt.config.task.name === 'adding' };
  } finally {
    await backend.release();
  }
}

/** Probabilities rounded to 4 decimals: ONNX and TypeScript agree to ~1e-6, printed output exactly. */
function rounded(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v)),
  );
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict the label of one sequence with an exported model or a checkpoint (same JSON either way)')
    .option('--model <file>', 'exported .onnx model')
    .option('--checkpoint <file>', 'checkpoint.safetensors from indrnn train')
    .requiredOption('--input <file>', 'JSON {"frames": [[...], ...]}: T frames of model inputs')
    .option('--top-k <k>', 'how many ranked labels to list', intOption(1), 5)
    .option('--timeline', 'also list the prediction after every frame')
    .addOption(
      new Option('--device <device>', 'execution provider for --model').choices(['auto', 'cuda', 'cpu']).default('cpu'),
    )
    .action(async (opts: PredictOptions) => {
      if (!!opts.model === !!opts.checkpoint) throw new Error('give exactly one of --model FILE or --checkpoint FILE');
      const r = opts.model
        ? await fromModel(opts.model, opts.input, opts.device)
        : await fromCheckpoint(opts.checkpoint!, opts.input);
      const resultOpts: ResultOptions = { topK: opts.topK, timeline: !!opts.timeline };
      const prediction = r.regression
        ? regressionPrediction(r.logits, 1, 0, r.T - 1, resultOpts)
        : classPrediction(r.logits, 1, r.K, 0, r.T - 1, r.labels, resultOpts);
      process.stdout.write(`${JSON.stringify(rounded(prediction))}\n`);
    });
}
