// A training job as the API shows it (GET /v1/jobs/{id}; src/host/training-jobs.ts runs them).

/** Where each stage's progress starts and ends (the training takes nearly all of the time). */
export const STAGES = { build: [0, 0.05], train: [0.05, 0.9], export: [0.9, 0.96], load: [0.96, 1] } as const;
export type Stage = keyof typeof STAGES;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What GET /v1/jobs/{id} answers. */
export interface JobView {
  id: string;
  name: string;
  base?: string;
  state: JobState;
  /** 0..1 */
  progress: number;
  /** Seconds left (estimated); null while unknown or when finished. */
  eta: number | null;
  /** The stage running. */
  stage?: Stage;
  epochs: number;
  samples: number;
  frames: number;
  actions: string[];
  /** Some takes had no action: the model has the background class "no action" and streams. */
  background: boolean;
  metrics: Record<string, unknown>;
  /** When done: the model's name and version, served now. */
  model?: string;
  version?: string;
  error?: string;
  created: string;
  started?: string;
  finished?: string;
}
