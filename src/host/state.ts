// What the routes share and main changes over the server's life: the registry once models are loaded,
// the draining flag once SIGTERM has come, and the training jobs when they are on.
import { errors } from '../predict/errors.js';
import type { ModelRegistry, ServedModel } from './registry.js';
import type { TrainingJobs } from './training-jobs.js';

export interface ServerState {
  registry: ModelRegistry | null;
  draining: boolean;
  /** Training jobs, with `indrnn serve --training` (null: off). */
  jobs?: TrainingJobs | null;
}

export interface Readiness {
  status: 'ready' | 'not_ready' | 'shutting_down';
  models: string[];
  /** Models with a run past --run-timeout-ms. */
  stuck?: string[];
}

/** Ready: models loaded, none stuck past --run-timeout-ms (it cannot answer until the run returns), not draining. */
export function readiness(state: ServerState): Readiness {
  const models = state.registry?.names ?? [];
  const stuck = (state.registry?.all() ?? []).filter((s) => s.batcher.stuck).map((s) => s.name);
  const status = state.draining ? 'shutting_down' : models.length > 0 && stuck.length === 0 ? 'ready' : 'not_ready';
  return stuck.length ? { status, models, stuck } : { status, models };
}

/** The loaded registry, or 503 not_ready. */
export function loadedRegistry(state: ServerState): ModelRegistry {
  if (!state.registry) throw errors.notReady();
  return state.registry;
}

/** The named model, or 404 model_not_found listing the loaded ones. */
export function servedModel(state: ServerState, name: string): ServedModel {
  const registry = loadedRegistry(state);
  const served = registry.get(name);
  if (!served) throw errors.modelNotFound(name, registry.names);
  return served;
}
