// Liveness and readiness, ours and KServe v2's. Always open (no auth): orchestrators probe them.
// Ours say why ({status, models, stuck}); KServe's answer the protocol's {"live": true} / {"ready": bool}.
import { Router } from 'express';
import type { ServerState } from '../../host/state.js';
import type { Readiness } from '../schemas.js';
import { ROUTES, route } from './table.js';

/** Ready: models loaded, none stuck past --run-timeout-ms, not draining. */
export function readiness(state: ServerState): { code: number; body: Readiness } {
  const models = state.registry?.names ?? [];
  // A model whose run is past --run-timeout-ms cannot answer: not ready until it returns.
  const stuck = (state.registry?.all() ?? []).filter((s) => s.batcher.stuck).map((s) => s.name);
  const status: Readiness['status'] = state.draining
    ? 'shutting_down'
    : models.length > 0 && stuck.length === 0
      ? 'ready'
      : 'not_ready';
  const body = stuck.length ? { status, models, stuck } : { status, models };
  return { code: status === 'ready' ? 200 : 503, body };
}

export function healthRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  route(router, ROUTES.healthz, (_req, res) => {
    res.json({ status: 'ok' });
  });
  route(router, ROUTES.v2Live, (_req, res) => {
    res.json({ live: true });
  });
  route(router, ROUTES.readyz, (_req, res) => {
    const { code, body } = readiness(state);
    res.status(code).json(body);
  });
  route(router, ROUTES.v2Ready, (_req, res) => {
    const { code } = readiness(state);
    res.status(code).json({ ready: code === 200 });
  });
  return router;
}
