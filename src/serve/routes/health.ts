// Liveness and readiness, ours and KServe v2's. Always open (no auth): orchestrators probe them.
import { Router } from 'express';
import type { ServerState } from '../../host/state.js';
import type { Readiness } from '../schemas.js';
import { ROUTES, route } from './table.js';

export function healthRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  const readiness = (): { code: number; body: Readiness } => {
    const models = state.registry?.names ?? [];
    // A model whose run is past --run-timeout-ms cannot answer: not ready until it returns.
    const stuck = (state.registry?.list() ?? []).filter((s) => s.batcher.stuck).map((s) => s.name);
    const status: Readiness['status'] = state.draining
      ? 'shutting_down'
      : models.length > 0 && stuck.length === 0
        ? 'ready'
        : 'not_ready';
    const body = stuck.length ? { status, models, stuck } : { status, models };
    return { code: status === 'ready' ? 200 : 503, body };
  };
  route(router, [ROUTES.healthz, ROUTES.v2Live], (_req, res) => {
    res.json({ status: 'ok' });
  });
  route(router, [ROUTES.readyz, ROUTES.v2Ready], (_req, res) => {
    const { code, body } = readiness();
    res.status(code).json(body);
  });
  return router;
}
