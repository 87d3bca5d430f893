// A real server on a loopback port for the tests that need sockets (upgrades, timeouts, logs, signals):
// the models in `dir`, CPU, 1 thread, quiet, with the test's own settings over these.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { DEFAULT_APP_OPTIONS } from '../../src/serve/app.js';
import { type RunningServer, type ServeConfig, startServer } from '../../src/server.js';

export function startLoopbackServer(
  dir: string,
  overrides: Partial<ServeConfig> = {},
  logger: Logger = pino({ level: 'silent' }),
): Promise<RunningServer> {
  const config: ServeConfig = {
    ...DEFAULT_APP_OPTIONS,
    models: dir,
    host: '127.0.0.1',
    port: 0,
    device: 'cpu',
    threads: 1,
    batch: { maxBatch: 8, maxDelayMs: 0, maxQueue: 64 },
    logLevel: 'silent',
    drainTimeoutMs: 2000,
  };
  return startServer(Object.assign(config, overrides), logger);
}

/** POST a JSON predict body to a running server's model: the status and the parsed answer. */
export async function postPredict(
  baseUrl: string,
  model: string,
  body: unknown,
): Promise<{ status: number; body: any }> {
  const r = await fetch(`${baseUrl}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}
