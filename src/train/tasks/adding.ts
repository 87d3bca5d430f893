// The adding problem (Hochreiter & Schmidhuber; IndRNN paper §4.1): each step carries a value U(0,1) and
// a marker; exactly one marker is set in each half of the sequence; the target is the sum of the two
// marked values. Always predicting 1.0 scores MSE ≈ 0.167, the baseline to beat. The validation and test
// sets are evalSize sequences each, drawn from seed streams of their own (the training data is endless).
import { seq } from '../../nn/seq.js';
import { Rng } from '../../util/rng.js';
import type { Batch, EvalPart, Task, TaskDefaults, TaskDescription } from '../task.js';

export interface AddingOptions {
  seqLen: number;
  evalSize: number;
  seed: number;
}

const TRAIN_STREAM = 1;
const EVAL_STREAM = 2;
const VALIDATION_STREAM = 3;

/** x[T, B, 2] (value, marker), values[B]. */
export function addingBatch(rng: Rng, T: number, B: number): Batch {
  if (T < 2) throw new RangeError(`the adding problem needs a sequence length of at least 2, got ${T}`);
  const x = new Float32Array(T * B * 2);
  const values = new Float32Array(B);
  const half = Math.floor(T / 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[(t * B + b) * 2] = rng.next();
    const first = rng.int(half);
    const second = half + rng.int(T - half);
    x[(first * B + b) * 2 + 1] = 1;
    x[(second * B + b) * 2 + 1] = 1;
    values[b] = x[(first * B + b) * 2] + x[(second * B + b) * 2];
  }
  return { x: seq(x, T, B, 2), values };
}

export class AddingTask implements Task {
  readonly name = 'adding';
  readonly kind = 'regression';
  readonly inputSize = 2;
  readonly numOutputs = 1;
  readonly seqLen: number;
  readonly hasValidation = true;
  readonly validationNote: string;

  constructor(readonly options: AddingOptions) {
    this.validationNote = `validation: ${options.evalSize} sequences from a seed stream of their own`;
    this.seqLen = options.seqLen;
    if (!Number.isInteger(options.seqLen) || options.seqLen < 2)
      throw new RangeError(`--seq-len must be an integer >= 2, got ${options.seqLen}`);
  }

  trainBatch(step: number, batchSize: number): Batch {
    return addingBatch(new Rng(this.options.seed, TRAIN_STREAM, step), this.seqLen, batchSize);
  }

  *evalBatches(batchSize: number, part: EvalPart = 'test'): Iterable<Batch> {
    const rng = new Rng(this.options.seed, part === 'test' ? EVAL_STREAM : VALIDATION_STREAM);
    for (let done = 0; done < this.options.evalSize; done += batchSize) {
      yield addingBatch(rng, this.seqLen, Math.min(batchSize, this.options.evalSize - done));
    }
  }

  describe(): TaskDescription {
    return {
      contract: { task_kind: this.kind, labels: [] },
      info: { task: 'adding', seqLen: this.seqLen, evalSize: this.options.evalSize, baselineMse: 1 / 6 },
    };
  }
}

/**
 * The adding-problem recipe: the paper's 2 x 128 plain IndRNN (MAG = 2, batch 50), with batch norm over
 * batch x time and Adam 2e-3, which learns in hundreds of steps where the authors' setting (no BN, Adam
 * 2e-4, input weights N(0, 0.001²): --no-batch-norm --lr 2e-4 --input-init-std 0.001) sits at the 0.167
 * baseline for thousands. At T = 5000 the BN running averages lag the weights (each update of u moves
 * u^T a lot), so the statistics are recomputed from the last 10 training batches before each evaluation
 * (Trainer.calibrateBatchNorm). Figures and curves: BENCHMARKS.md.
 */
export const addingDefaults: TaskDefaults = {
  network: {
    arch: 'plain',
    depth: 2,
    hiddenSize: 128,
    batchNorm: true,
    dropout: 0,
    mag: 2,
    readout: 'last',
    clipRecurrent: true,
  },
  train: {
    batchSize: 50,
    steps: 20000,
    evalEvery: 200,
    evalBatchSize: 250,
    optimizer: { lr: 2e-3, weightDecay: 0, gradClip: 10 },
    bnCalibrationBatches: 10,
  },
  schedule: 'constant',
};
