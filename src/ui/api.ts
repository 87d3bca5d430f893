// The server's HTTP API as the page uses it: the model list, a model's neurons and plots, HTTP predict (for
// segment-sampled models, which streams refuse), training jobs (the camera page's Train). Types come from the server's own schemas (type imports
// only: nothing of the server is bundled). A bearer token, when the server wants one, is kept for the tab.

import type { JobView } from '../host/job-view.js';
import type { ModelInfo } from '../host/model-info.js';
import type { Neurons } from '../serve/neurons-schema.js';
import type { ModelPlots } from '../serve/plots-schema.js';
import type { ServerMessage } from '../stream/protocol.js';

export type { JobView, ModelInfo, ModelPlots, Neurons };
export type StreamMessage = ServerMessage;
export type Prediction = Extract<ServerMessage, { type: 'prediction' }>;
export type ClassStep = Extract<Prediction, { label: string }>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'indrnn.token';

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t: string): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t) headers.set('Authorization', `Bearer ${t}`);
  const res = await fetch(path, { ...init, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const msg = body?.error?.message ?? `${res.status} ${res.statusText}`;
    throw new HttpError(res.status, msg);
  }
  return body as T;
}

export const listModels = () => call<{ models: ModelInfo[] }>('/v1/models').then((r) => r.models);

export const modelNeurons = (name: string) => call<Neurons>(`/v1/models/${encodeURIComponent(name)}/neurons`);

export const modelPlots = (name: string) => call<ModelPlots>(`/v1/models/${encodeURIComponent(name)}/plots`);

/** POST predict for one sequence of frames [T][B][J][C], in `layout` when it is not the model's. */
export function predict(name: string, frames: number[][][][], frameRate: number, layout?: string) {
  return call<{ provider: string; predictions: ClassStep[] }>(`/v1/models/${encodeURIComponent(name)}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ frames, topK: 5, frameRate, layout }),
  });
}

/** A training job (POST /v1/jobs, `indrnn serve --training`): takes in the JSON Lines user format. */
export function postJob(body: { name: string; base?: string; samples: unknown[]; epochs?: number }) {
  return call<{ id: string; job: JobView }>('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export const getJob = (id: string) => call<JobView>(`/v1/jobs/${encodeURIComponent(id)}`);

/** ws(s)://host/v1/models/NAME/stream, with ?token= when one is set (browsers cannot set headers on a WebSocket). */
export function streamUrl(name: string): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const t = token();
  const q = t ? `?token=${encodeURIComponent(t)}` : '';
  return `${proto}//${location.host}/v1/models/${encodeURIComponent(name)}/stream${q}`;
}
