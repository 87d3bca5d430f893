// What the routes share and main changes over the server's life: the registry once models are loaded,
// and the draining flag once SIGTERM has come.
import { errors } from '../predict/errors.js';
import type { ModelRegistry, ServedModel } from './registry.js';

export interface ServerState {
  registry: ModelRegistry | null;
  draining: boolean;
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
