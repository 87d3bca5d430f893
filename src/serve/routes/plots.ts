// GET /v1/models/{name}/plots: the SVG plots beside the served model's file (training curves, confusion
// matrix; src/host/model-plots.ts), read when asked, for the live page's model card.
import { Router } from 'express';
import { readModelPlots } from '../../host/model-plots.js';
import { type ServerState, servedModel } from '../../host/state.js';
import { ROUTES, route } from './table.js';

export function plotRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  route(router, ROUTES.plots, async (req, res) => {
    const served = servedModel(state, String(req.params.name));
    const m = served.model.metadata;
    res.json({ model: m.name, version: m.version, plots: await readModelPlots(served.file, served.info.file) });
  });
  return router;
}
