// The time-to-completion estimate `indrnn train` prints. Remaining time = remaining steps x the recent
// step time + remaining evaluations (each with its checkpoint) x their measured time. The first step of
// a run is left out of the step time: it creates the onnxruntime sessions and starts the shards'
// threads, and would inflate the estimate of every step after it. Until the first evaluation has been
// timed, one is priced at its forward passes: (evaluation sequences / batch size) x a third of a training
// step (a forward pass costs about a third of forward + backward + optimiser).

const RECENT_STEPS = 50;

export interface EtaInputs {
  step: number; // steps done
  total: number; // steps in the run
  evalEvery: number;
  /** Sequences per evaluation, when known (for the estimate before the first one is timed). */
  evalSequences?: number;
  batchSize: number;
}

export class EtaEstimator {
  private readonly recent: number[] = [];
  private stepsSeen = 0;
  private evalMsSum = 0;
  private evals = 0;

  /** Records one training step's wall time (ms). */
  addStep(ms: number): void {
    this.stepsSeen++;
    if (this.stepsSeen === 1) return; // session creation and thread start-up
    this.recent.push(ms);
    if (this.recent.length > RECENT_STEPS) this.recent.shift();
  }

  /** Records one evaluation's wall time, its checkpoint included (ms). */
  addEvaluation(ms: number): void {
    this.evalMsSum += ms;
    this.evals++;
  }

  /** Mean of the recent steps (ms), or NaN before any step past the first. */
  stepMs(): number {
    if (this.recent.length === 0) return Number.NaN;
    let s = 0;
    for (const v of this.recent) s += v;
    return s / this.recent.length;
  }

  /** Estimated seconds to completion, or NaN while there is nothing to go on yet. */
  remainingSec(x: EtaInputs): number {
    const stepMs = this.stepMs();
    if (Number.isNaN(stepMs)) return Number.NaN;
    const steps = Math.max(0, x.total - x.step);
    // Evaluations at every multiple of evalEvery after `step`, plus the one at the end if not a multiple.
    const evalsLeft =
      Math.floor(x.total / x.evalEvery) -
      Math.floor(x.step / x.evalEvery) +
      (x.total % x.evalEvery !== 0 && steps > 0 ? 1 : 0);
    const evalMs =
      this.evals > 0 ? this.evalMsSum / this.evals : ((x.evalSequences ?? 0) / Math.max(1, x.batchSize)) * (stepMs / 3);
    return (steps * stepMs + evalsLeft * evalMs) / 1000;
  }
}
