// Liveness and readiness, ours and KServe v2's. Always open (no auth): orchestrators probe them.
import { Router } from 'express';
import type { ServerState } from '../state.js';

export function healthRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  const readiness = () => {
    const models = state.registry?.names ?? [];
    // A model whose run is past --run-timeout-ms cannot answer: not ready until it returns.
    const stuck = (state.registry?.list() ?? []).filter((s) => s.batcher.stuck).map((s) => s.name);
    const status = state.draining ? 'shutting_down' : models.length > 0 && stuck.length === 0 ? 'ready' : 'not_ready';
    const body = stuck.length ? { status, models, stuck } : { status, models };
    return { code: status === 'ready' ? 200 : 503, body };
  };
  router.get(['/healthz', '/v2/health/live'], (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(['/readyz', '/v2/health/ready'], (_req, res) => {
    const { code, body } = readiness();
    res.status(code).json(body);
  });
  return router;
}
