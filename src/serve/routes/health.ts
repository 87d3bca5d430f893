// Liveness and readiness, ours and KServe v2's. Always open (no auth): orchestrators probe them.
import { Router } from 'express';
import type { Readiness } from '../schemas.js';
import type { ServerState } from '../state.js';
import { ROUTES, route } from './table.js';

export function healthRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  const readiness = (): { code: number; body: Readiness } => {
    const models = state.registry?.names ?? [];
    const status = state.draining ? 'shutting_down' : models.length > 0 ? 'ready' : 'not_ready';
    return { code: status === 'ready' ? 200 : 503, body: { status, models } };
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
