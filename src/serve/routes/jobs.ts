// Training jobs over HTTP (`indrnn serve --training`; src/host/training-jobs.ts): POST /v1/jobs queues one,
// GET /v1/jobs and /v1/jobs/{id} show them, DELETE /v1/jobs/{id} cancels, GET /v1/jobs/{id}/events follows
// one as server-sent events. Off: every route answers 403 forbidden, before any body is read.
import { type RequestHandler, Router } from 'express';
import { checkJobRequest } from '../../host/job-request.js';
import type { ServerState } from '../../host/state.js';
import type { JobView, TrainingJobs } from '../../host/training-jobs.js';
import { ApiError } from '../../predict/errors.js';
import { jobRequestSchema } from '../jobs-schema.js';
import { jsonBody } from '../middleware/json-body.js';
import { parseBody } from '../schemas.js';
import { ROUTES, route } from './table.js';

/** A job request's largest body (a few minutes of takes of 33 joints). */
export const MAX_JOB_BODY_BYTES = 32 * 1024 * 1024;
/** A comment line on an idle event stream, so that proxies keep it open. */
const KEEPALIVE_MS = 15_000;

const off = () =>
  new ApiError('forbidden', 'training jobs are off on this server: start it with --training (or INDRNN_TRAINING=1)');

const notFound = (id: string) =>
  new ApiError('job_not_found', `no training job '${id.slice(0, 64)}' (GET /v1/jobs lists them)`, {
    job: id.slice(0, 64),
  });

const ended = (v: JobView) => v.state !== 'queued' && v.state !== 'running';

export function jobRoutes({ state }: { state: ServerState }): Router {
  const router = Router();
  const jobs = (): TrainingJobs => {
    if (!state.jobs) throw off();
    return state.jobs;
  };
  const gate: RequestHandler = (_req, _res, next) => next(state.jobs ? undefined : off());
  route(router, ROUTES.createJob, gate, ...jsonBody({ limitBytes: MAX_JOB_BODY_BYTES }), (req, res) => {
    const j = jobs();
    const checked = checkJobRequest(parseBody(jobRequestSchema, req.body), j.limits);
    const job = j.submit(checked);
    res.status(202).location(`/v1/jobs/${job.id}`).json({ id: job.id, job });
  });
  route(router, ROUTES.listJobs, (_req, res) => {
    res.json({ jobs: jobs().list() });
  });
  route(router, ROUTES.job, (req, res) => {
    const id = String(req.params.id);
    const job = jobs().get(id);
    if (!job) throw notFound(id);
    res.json(job);
  });
  route(router, ROUTES.cancelJob, (req, res) => {
    const id = String(req.params.id);
    const job = jobs().cancel(id);
    if (!job) throw notFound(id);
    res.json(job);
  });
  route(router, ROUTES.jobEvents, (req, res) => {
    const id = String(req.params.id);
    const j = jobs();
    const job = j.get(id);
    if (!job) throw notFound(id);
    // no-transform: the compression middleware leaves the stream alone (it would hold events back).
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform' });
    res.flushHeaders();
    const send = (v: JobView) => res.write(`event: job\ndata: ${JSON.stringify(v)}\n\n`);
    send(job);
    if (ended(job)) {
      res.end();
      return;
    }
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const stop = j.subscribe(id, (v) => {
      send(v);
      if (ended(v)) close();
    });
    function close() {
      clearInterval(keepalive);
      stop();
      res.end();
    }
    req.once('close', close);
  });
  return router;
}
