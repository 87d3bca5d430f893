// Which part a run chose its weights on, and the figures it reports, from its state (summary, export).
// With a validation part, evaluations during training read it, the weights of the best one are the model
// ("the chosen weights"), and the test part is read once, with those weights, at the end. Without one (and in
// runs from before validation parts) evaluations read the test part and the last one is the test figure.
import type { TrainState } from './checkpoint.js';
import type { EvalPart } from './task.js';

export interface RunFigures {
  /** The part evaluations during training read (and the schedule, --target and the chosen weights). */
  selection: EvalPart | 'none';
  /** The model's weights on the test part; null when the test part was not read (an interrupted run). */
  test: { loss: number; metric: number } | null;
  /** The best test figure: with a validation part, that of the chosen weights (the test part's one reading). */
  bestTest: number | null;
  /** With a validation part: the chosen weights' validation figure and step, and the last evaluation's. */
  validation: { bestMetric: number; bestStep: number; finalMetric: number; finalLoss: number } | null;
}

export function runFigures(state: TrainState): RunFigures {
  const last = state.history.at(-1);
  const selection = last?.evalPart ?? 'test';
  if (selection === 'none') return { selection, test: null, bestTest: null, validation: null };
  if (selection === 'test') {
    return {
      selection,
      test: last ? { loss: last.evalLoss, metric: last.evalMetric } : null,
      bestTest: state.best?.metric ?? null,
      validation: null,
    };
  }
  return {
    selection,
    test: state.test ? { loss: state.test.loss, metric: state.test.metric } : null,
    bestTest: state.test?.metric ?? null,
    validation:
      last && state.best
        ? {
            bestMetric: state.best.metric,
            bestStep: state.best.step,
            finalMetric: last.evalMetric,
            finalLoss: last.evalLoss,
          }
        : null,
  };
}
