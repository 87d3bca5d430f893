// Takes for the training-job benchmarks: synthetic NTU performances (indrnn data synth's generator) of a few
// actions by different performers, one body, as JSON Lines user-format samples (layout ntu25), the body
// of a POST /v1/jobs; and a client that follows a job to its end.
import { selectBodies } from '../src/data/bodies.js';
import { ntuActionName } from '../src/data/ntu-actions.js';
import { generateSample } from '../src/data/synth/generate.js';

/** NTU actions with clear, different movements: hand waving, sitting down, jumping up. */
export const JOB_ACTIONS = [23, 8, 27] as const;

/** `perAction` takes of each action (performers 1, 2, ...), each as the synthetic generator makes it. */
export function synthTakes(perAction: number, actions: readonly number[] = JOB_ACTIONS): Record<string, unknown>[] {
  const J = 25;
  return actions.flatMap((action) =>
    Array.from({ length: perAction }, (_, k) => {
      const n = { setup: 1, camera: 1 + (k % 3), performer: k + 1, replication: 1, action };
      const sel = selectBodies(generateSample(1000 * action + k, n), { bodies: 1, joints: J, dropEmptyFrames: false });
      const frames = Array.from({ length: sel.T }, (_, t) =>
        Array.from({ length: J }, (_, j) =>
          [0, 1, 2].map((c) => Math.round(sel.data[(t * J + j) * 3 + c] * 1e4) / 1e4),
        ),
      );
      return { id: `a${action}-${k}`, label: ntuActionName(action), layout: 'ntu25', fps: 30, frames };
    }),
  );
}

export interface JobAnswer {
  id: string;
  state: string;
  progress: number;
  stage?: string;
  error?: string;
  metrics: Record<string, unknown>;
  model?: string;
  version?: string;
}

/** POSTs a job; resolves with its id (throws with the server's answer otherwise). */
export async function postJob(base: string, body: unknown): Promise<string> {
  const r = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await r.json()) as { id?: string };
  if (r.status !== 202 || !answer.id) throw new Error(`POST /v1/jobs: ${r.status} ${JSON.stringify(answer)}`);
  return answer.id;
}

/** Polls the job every `everyMs` until `until` holds (default: it has ended). */
export async function waitForJob(
  base: string,
  id: string,
  until: (j: JobAnswer) => boolean = (j) => j.state !== 'queued' && j.state !== 'running',
  everyMs = 200,
): Promise<JobAnswer> {
  for (;;) {
    const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as JobAnswer;
    if (until(job) || (job.state !== 'queued' && job.state !== 'running')) return job;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
