// Liveness and readiness, ours and KServe v2's. Always open (no auth): orchestrators probe them.
// Ours say why ({status, models, stuck}); KServe's answer the protocol's {"live": true} / {"ready": bool}.
import { Router } from 'express';
import { readiness, type ServerState } from '../../host/state.js';
import { ROUTES, route } from './table.js';

export function healthRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  route(router, ROUTES.healthz, (_req, res) => {
    res.json({ status: 'ok' });
  });
  route(router, ROUTES.v2Live, (_req, res) => {
    res.json({ live: true });
  });
  route(router, ROUTES.readyz, (_req, res) => {
    const body = readiness(state);
    res.status(body.status === 'ready' ? 200 : 503).json(body);
  });
  route(router, ROUTES.v2Ready, (_req, res) => {
    const ready = readiness(state).status === 'ready';
    res.status(ready ? 200 : 503).json({ ready });
  });
  return router;
}
