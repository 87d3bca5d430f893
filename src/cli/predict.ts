// indrnn predict: run an exported model or a checkpoint on one sequence; both print the same JSON,
// so users can verify an export themselves.
import { type Command, Option } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import { seq } from '../nn/seq.js';
import { type ModelMetadata, metadataSchema } from '../onnx/metadata.js';
import { IndrnnModel, type ProviderChoice } from '../onnx/model.js';
import { readFramesFile } from '../predict/frames-file.js';
import { inputSpecOf } from '../predict/input.js';
import { layoutConversion } from '../predict/layout-conversion.js';
import type { SegmentSlot } from '../predict/rate.js';
import { DEFAULT_DECISION_RULE } from '../predict/segments.js';
import { backgroundIndex, type ModelSteps, predictSteps, prepareSteps } from '../predict/sequence-prediction.js';
import { loadNetwork } from '../train/checkpoint.js';
import { modelMetadata } from '../train/export.js';
import { floatOption, intOption } from './options.js';

interface PredictOptions {
  model?: string;
  checkpoint?: string;
  input: string;
  topK: number;
  timeline?: boolean;
  segments?: boolean;
  frameRate?: number;
  layout?: string;
  device: ProviderChoice;
}

/** What a prediction needs: the model's metadata and a way to run steps x [T, D] from zero state. */
export interface Predictor {
  metadata: ModelMetadata;
  submit(x: Float32Array, T: number): Promise<SegmentSlot>;
  close(): Promise<void>;
}

export async function onnxPredictor(path: string, device: ProviderChoice): Promise<Predictor> {
  const model = await IndrnnModel.load(path, {
    provider: device,
    onFallback: (r) => process.stderr.write(`using CPU: ${r}\n`),
  });
  return {
    metadata: model.metadata,
    submit: async (x, T) => ({ logits: (await model.run(x, T, 1)).logits, B: 1, b: 0 }),
    close: () => model.release(),
  };
}

export async function checkpointPredictor(path: string): Promise<Predictor> {
  const backend = new OrtBackend();
  const { net, ckpt } = loadNetwork(path, backend, { readout: 'all' });
  const D = net.config.inputSize;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    // The metadata an export of this checkpoint would carry: same preprocessing, sampling and labels.
    metadata: metadataSchema.parse(modelMetadata(ckpt, path, {})),
    // One forward at a time, each answer copied: the layers reuse their buffers from call to call, and a
    // rate model's long sequence is several runs (staggered segments) submitted together.
    submit: (x, T) => {
      const run = queue.then(async () => (await net.forward(seq(x, T, 1, D), { training: false })).data.slice());
      queue = run.catch(() => undefined);
      return run.then((logits) => ({ logits, B: 1, b: 0 }));
    },
    close: () => backend.release(),
  };
}

/** Probabilities rounded to 4 decimals: ONNX and TypeScript agree to ~1e-6, printed output exactly. */
function rounded(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v)),
  );
}

async function predict(opts: PredictOptions): Promise<unknown> {
  const p = opts.model ? await onnxPredictor(opts.model, opts.device) : await checkpointPredictor(opts.checkpoint!);
  try {
    const frames = readFramesFile(opts.input);
    const m = p.metadata;
    let steps: ModelSteps;
    try {
      const input = inputSpecOf(m);
      steps = prepareSteps(m, input, frames, {
        maxFrames: Number.MAX_SAFE_INTEGER,
        field: 'frames',
        frameRate: opts.frameRate,
        conversion: layoutConversion(input, opts.layout, '--layout'),
      });
    } catch (e) {
      throw new Error(`${opts.input}: ${(e as Error).message}`);
    }
    if (opts.segments && backgroundIndex(m) < 0)
      throw new Error(`--segments: model ${m.name} is not a detection model (it has no background label)`);
    return await predictSteps((x, T) => p.submit(x, T), m, steps, {
      topK: opts.topK,
      timeline: !!opts.timeline,
      segments: opts.segments ? DEFAULT_DECISION_RULE : undefined,
    });
  } finally {
    await p.close();
  }
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict the label of one sequence with an exported model or a checkpoint (same JSON either way)')
    .option('--model <file>', 'exported .onnx model')
    .option('--checkpoint <file>', 'checkpoint.safetensors from indrnn train')
    .requiredOption(
      '--input <file>',
      'JSON {"frames": [...]}: joints (T x joints x 3 or T x bodies x joints x 3) or rows of model inputs',
    )
    .option(
      '--frame-rate <fps>',
      "the frames' rate, for rate-sampled models (default: the model's)",
      floatOption(0.001),
    )
    .option(
      '--layout <layout>',
      "the frames' joint layout when it is not the model's: mediapipe33 for a kinect20 or ntu25 model (converted)",
    )
    .option('--top-k <k>', 'how many ranked labels to list', intOption(1), 5)
    .option('--timeline', 'also list the prediction after every frame')
    .option(
      '--segments',
      'detection models: also list the actions detected (the default decision rule, as HTTP predict)',
    )
    .addOption(
      new Option('--device <device>', 'execution provider for --model').choices(['auto', 'cuda', 'cpu']).default('cpu'),
    )
    .action(async (opts: PredictOptions) => {
      if (!!opts.model === !!opts.checkpoint) throw new Error('give exactly one of --model FILE or --checkpoint FILE');
      process.stdout.write(`${JSON.stringify(rounded(await predict(opts)))}\n`);
    });
}
