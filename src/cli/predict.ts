// indrnn predict: run an exported model or a checkpoint on one sequence; both print the same JSON,
// so users can verify an export themselves.
import { type Command, Option } from 'commander';
import { OrtBackend } from '../nn/backend.js';
import { seq } from '../nn/seq.js';
import { type ModelMetadata, metadataSchema } from '../onnx/metadata.js';
import { IndrnnModel } from '../onnx/model.js';
import type { ProviderChoice } from '../onnx/session.js';
import { readPredictFile } from '../predict/frames-file.js';
import { inputSpecOf } from '../predict/input.js';
import { layoutConversion } from '../predict/layout-conversion.js';
import { DEFAULT_MIN_SCORE, minScoreFor } from '../predict/point-options.js';
import type { SegmentSlot } from '../predict/rate.js';
import { type DecisionRule, decisionRule } from '../predict/segments.js';
import { type ModelSteps, predictSteps, prepareSteps, requireDetectionModel } from '../predict/sequence-prediction.js';
import { parsePredictRequest } from '../serve/schemas.js';
import { loadNetwork } from '../train/checkpoint.js';
import { modelMetadata } from '../train/checkpoint-to-onnx.js';
import type { TaskSpec } from '../train/config.js';
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
  minScore?: number;
  device: ProviderChoice;
}

/** The request options an input file may carry, as in an HTTP predict body: a flag given wins over them. */
const FILE_OPTIONS = ['topK', 'timeline', 'segments', 'frameRate', 'layout', 'minScore', 'decision'] as const;

/**
 * The options of one prediction: the input file's (checked as HTTP predict checks them), then the flags
 * given on the command line over them. `explicit`: the option names given as flags.
 */
function requestOptions(
  path: string,
  body: Record<string, unknown>,
  opts: PredictOptions,
  explicit: ReadonlySet<string>,
): {
  topK: number;
  timeline: boolean;
  segments: DecisionRule | undefined;
  frameRate?: number;
  layout?: string;
  minScore?: number;
} {
  const picked: Record<string, unknown> = { frames: [] };
  for (const k of FILE_OPTIONS) if (Object.hasOwn(body, k)) picked[k] = body[k];
  let file: ReturnType<typeof parsePredictRequest>;
  let rule: DecisionRule;
  try {
    file = parsePredictRequest(picked);
    rule = decisionRule(file.decision);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const pick = <K extends 'topK' | 'timeline' | 'segments'>(k: K) =>
    explicit.has(k) || !Object.hasOwn(picked, k) ? opts[k] : file[k];
  return {
    topK: pick('topK') ?? 5,
    timeline: !!pick('timeline'),
    segments: pick('segments') ? rule : undefined,
    frameRate: opts.frameRate ?? file.frameRate,
    layout: opts.layout ?? file.layout,
    minScore: opts.minScore ?? file.minScore,
  };
}

/** What a prediction needs: the model's metadata and a way to run steps x [T, D] from zero state. */
export interface Predictor {
  metadata: ModelMetadata;
  /** A checkpoint's task (its cache and split); ONNX models name none. */
  task?: TaskSpec;
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
    task: ckpt.config.task,
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

async function predict(opts: PredictOptions, explicit: ReadonlySet<string>): Promise<unknown> {
  const { frames, body } = readPredictFile(opts.input);
  const o = requestOptions(opts.input, body, opts, explicit);
  const p = opts.model ? await onnxPredictor(opts.model, opts.device) : await checkpointPredictor(opts.checkpoint!);
  try {
    const m = p.metadata;
    let steps: ModelSteps;
    try {
      const input = inputSpecOf(m);
      steps = prepareSteps(m, input, frames, {
        maxFrames: Number.MAX_SAFE_INTEGER,
        field: 'frames',
        frameRate: o.frameRate,
        conversion: layoutConversion(input, o.layout, '--layout'),
        minScore: minScoreFor(input, o.minScore, explicit.has('minScore') ? '--min-score' : 'minScore'),
      });
    } catch (e) {
      throw new Error(`${opts.input}: ${(e as Error).message}`);
    }
    if (o.segments) requireDetectionModel(m, '--segments');
    return await predictSteps((x, T) => p.submit(x, T), m, steps, {
      topK: o.topK,
      timeline: o.timeline,
      segments: o.segments,
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
    .option(
      '--min-score <s>',
      `2D models: a point [x, y, score] scored below this counts as missing (0 to 1, default ${DEFAULT_MIN_SCORE})`,
      floatOption(0, 1),
    )
    .option('--top-k <k>', 'how many ranked labels to list', intOption(1), 5)
    .option('--timeline', 'also list the prediction after every frame')
    .option(
      '--segments',
      "detection models: also list the actions detected (the default decision rule, or the input file's `decision`, as HTTP predict)",
    )
    .addOption(
      new Option('--device <device>', 'execution provider for --model').choices(['auto', 'cuda', 'cpu']).default('cpu'),
    )
    .action(async (opts: PredictOptions, cmd: Command) => {
      if (!!opts.model === !!opts.checkpoint) throw new Error('give exactly one of --model FILE or --checkpoint FILE');
      const explicit = new Set(
        cmd.options.map((o) => o.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli'),
      );
      process.stdout.write(`${JSON.stringify(rounded(await predict(opts, explicit)))}\n`);
    });
}
