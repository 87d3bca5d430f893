// Learning-rate schedules. Step decay is a pure function of the step; plateau reacts to evaluations.
import type { ScheduleConfig } from './config.js';

export function stepDecayLr(base: number, schedule: ScheduleConfig, step: number): number {
  if (schedule.kind !== 'step') return base;
  return base * schedule.gamma ** Math.floor(step / schedule.every);
}

/**
 * The step of the last learning-rate decay a step schedule makes within `steps` (0: none, or another
 * schedule). Weights are chosen among the evaluations from there on (see Trainer.improves).
 */
export function lastDecayStep(schedule: ScheduleConfig, steps: number): number {
  if (schedule.kind !== 'step' || schedule.gamma === 1) return 0;
  return Math.floor((steps - 1) / schedule.every) * schedule.every;
}

export type PlateauAction = 'improved' | 'wait' | 'decay' | 'stop';

/**
 * The authors' plateau rule: after `patience` evaluations without improvement, restore the best
 * weights and divide the learning rate by `factor`; stop once it falls below `minLr`.
 */
export function plateauAction(
  schedule: ScheduleConfig,
  improved: boolean,
  badEvals: number,
  lr: number,
): PlateauAction {
  if (improved) return 'improved';
  if (schedule.kind !== 'plateau' || badEvals + 1 < schedule.patience) return 'wait';
  return lr / schedule.factor < schedule.minLr ? 'stop' : 'decay';
}
