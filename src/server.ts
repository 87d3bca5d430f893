// The top-level composition: config -> logger -> registry -> the HTTP app (src/serve) and the WebSocket
// stream endpoint (src/stream) on one http.Server -> listen, and graceful shutdown on SIGTERM/SIGINT (stop
// accepting, close the streams, finish in-flight requests, free the models, exit). serve and stream never
// import each other: this is the one place that knows both.
import { statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { type LevelWithSilent, type Logger, pino } from 'pino';
import type { BatchOptions } from './host/batcher.js';
import { createMetrics } from './host/metrics.js';
import { ModelRegistry, type RegistryEvent, StartupError } from './host/registry.js';
import type { ServerState } from './host/state.js';
import { TrainingJobs, type TrainingOptions } from './host/training-jobs.js';
import type { RunnerKind } from './onnx/runner.js';
import type { ProviderChoice } from './onnx/session.js';
import { type AppOptions, createApp } from './serve/app.js';
import { refuseUpgrade } from './serve/http-errors.js';
import { bearerChecker } from './serve/middleware/auth.js';
import type { StreamOptions } from './stream/limits.js';
import { attachStreaming, type StreamDeps, type StreamServer } from './stream/server.js';
import { type LogFormat, prettyLogStream, resolveLogFormat } from './util/pretty-log.js';

export interface ServeConfig extends AppOptions {
  models: string;
  host: string;
  port: number;
  device: ProviderChoice;
  threads?: number;
  /** Where each model's session runs: this thread (default) or a worker thread per model (--model-runner). */
  modelRunner?: RunnerKind;
  /** With modelRunner 'worker': worker threads, each with its own session, per model (--model-workers). */
  modelWorkers?: number;
  /** The largest model file read; a larger one is skipped unread (--max-model-bytes; default 256 MiB). */
  maxModelBytes?: number;
  batch: BatchOptions;
  logLevel: LevelWithSilent;
  /** JSON lines, human-readable lines, or 'auto' (default): human-readable when stdout is a terminal. */
  logFormat?: LogFormat;
  /** Longest wait for in-flight requests (then for model runs) on shutdown before they are cut. */
  drainTimeoutMs: number;
  /** Connection limits and timeouts of the HTTP server (DEFAULT_CONNECTION_LIMITS). */
  connections?: Partial<ConnectionLimits>;
  /** WebSocket stream limits (src/stream/limits.ts defaults). */
  stream?: Partial<StreamOptions>;
  /** Rescan the model directory on file system events ('watch') or every pollMs ('poll'); default off. */
  reload?: 'off' | 'watch' | 'poll';
  pollMs?: number;
  /** Training jobs on POST /v1/jobs (--training; off by default); needs --models to be a directory. */
  training?: boolean | TrainingOptions;
  /** Where each setting came from ('cli', 'env', 'default'), for the configuration log line. */
  sources?: Record<string, string>;
}

/** The configuration as logged once at start: secrets redacted, with where the non-default values came from. */
export function configForLog(config: ServeConfig): Record<string, unknown> {
  const { sources, token, ...settings } = config;
  const from = Object.fromEntries(Object.entries(sources ?? {}).filter(([, source]) => source !== 'default'));
  return { ...settings, auth: token ? 'bearer token ([redacted])' : 'none', from };
}

export interface ConnectionLimits {
  /** Most open TCP connections (HTTP and streams); more are closed at once. */
  maxConnections: number;
  /** Longest time to receive a request's headers (slowloris). */
  headersTimeoutMs: number;
  /** Longest time to receive a whole request, body included. */
  requestTimeoutMs: number;
  /**
   * On shutdown, how long kept-alive connections that are idle stay open: a client may have sent a request
   * on one that the server has not read yet, and closing it would reset that request instead of answering.
   */
  drainIdleGraceMs: number;
}

/** For an inference server: requests are small and quick to send; a client slower than this is stuck or hostile. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 2048,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  drainIdleGraceMs: 250,
};

/** The stream endpoint's dependencies (the server, state, metrics, logger, the HTTP routes' bearer check), and: */
export interface RunningServer extends Omit<StreamDeps, 'options' | 'refuseUpgrade'> {
  /** WebSocket streams at /v1/models/{name}/stream. */
  streams: StreamServer;
  url: string;
  /** Drains and stops; resolves when everything is closed. */
  shutdown: (reason: string) => Promise<void>;
}

/** Header and field names whose values never reach the log, wherever they appear in a logged object. */
export const LOG_REDACT = {
  paths: ['authorization', '*.authorization', '*.headers.authorization', 'token', '*.token', 'config.token'],
  censor: '[redacted]',
};

/**
 * The answers the server is working on. While it drains, every answer not yet begun says Connection: close,
 * so that its client sends no further request on a connection the drain then closes under it (EPIPE,
 * ECONNRESET).
 */
function answersInFlight(server: Server, state: ServerState): Set<ServerResponse> {
  const open = new Set<ServerResponse>();
  // Before the app's listener, which may answer at once.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (state.draining) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return open;
}

/** The server's logger on stdout, secrets redacted: JSON lines, or human-readable ones (src/util/pretty-log.ts). */
export function serverLogger(level: LevelWithSilent, format: LogFormat = 'json'): Logger {
  if (resolveLogFormat(format, process.stdout.isTTY) === 'json') return pino({ level, redact: LOG_REDACT });
  return pino({ level, redact: LOG_REDACT }, prettyLogStream(process.stdout));
}

/** Logs the registry's events: loads, skips, retirements, CUDA fallbacks. */
function logRegistryEvent(logger: Logger, e: RegistryEvent): void {
  if (e.kind === 'loaded')
    logger.info(
      {
        model: e.name,
        version: e.version,
        file: e.file,
        provider: e.provider,
        runner: e.runner,
        ms: Math.round(e.ms),
      },
      'model loaded',
    );
  else if (e.kind === 'skipped') logger.warn({ file: e.file, reason: e.reason }, 'model skipped');
  else if (e.kind === 'retired')
    logger.info({ model: e.name, version: e.version, file: e.file, why: e.why }, 'model retired');
  else if (e.kind === 'worker-lost')
    logger.error(
      { model: e.name, version: e.version, file: e.file, reason: e.reason },
      "model's worker thread died: its run in flight failed; starting it again",
    );
  else logger.warn({ file: e.file, reason: e.reason }, 'CUDA not used, running on CPU');
}

export async function startServer(
  config: ServeConfig,
  logger: Logger = serverLogger(config.logLevel, config.logFormat),
): Promise<RunningServer> {
  logger.info({ config: configForLog(config) }, 'configuration');
  const metrics = createMetrics();
  const registry = await ModelRegistry.load(config.models, {
    device: config.device,
    threads: config.threads,
    runner: config.modelRunner,
    workers: config.modelWorkers,
    maxModelBytes: config.maxModelBytes,
    batch: config.batch,
    observe: (model) => metrics.observer(model),
    onEvent: (e) => {
      logRegistryEvent(logger, e);
      metrics.registryEvent(e);
    },
  });
  const state: ServerState = { registry, draining: false, jobs: null };
  if (config.training) {
    if (!statSync(config.models).isDirectory()) {
      await registry.close();
      throw new StartupError(
        `--training writes the models it trains into the model directory: --models must be a directory, not the file '${config.models}'`,
      );
    }
    state.jobs = new TrainingJobs(registry, {
      ...(typeof config.training === 'object' ? config.training : {}),
      onEvent: (e) =>
        e.state === 'failed' ? logger.warn(e, 'training job failed') : logger.info(e, `training job ${e.state}`),
    });
  }
  metrics.track(state);
  const app = createApp({ state, metrics, logger, options: config });
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...config.connections };
  const server = createServer(
    {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // How often Node checks those two timeouts (30 s by default: longer than the timeouts themselves).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  // Node closes a connection past the limit before any byte is read, so no answer can name the limit: the
  // count and a log line (at most one a second) do.
  let refusedLoggedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    metrics.connectionsRefused.inc();
    if (performance.now() - refusedLoggedAt < 1000) return;
    refusedLoggedAt = performance.now();
    logger.warn({ limit: limits.maxConnections }, 'connection refused: --max-connections connections are open');
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  const answering = answersInFlight(server, state);
  const deps = { server, state, metrics, logger, authorized: bearerChecker(config.token) };
  const streams = attachStreaming({ ...deps, refuseUpgrade, options: config.stream });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  // node: the version and the launch flags (the CLI's re-exec adds GC flags for serve: src/util/allocator.ts).
  const node = { version: process.version, flags: process.execArgv };
  logger.info(
    { url, models: registry.names, batch: config.batch, connections: limits, auth: !!config.token, node },
    'listening',
  );
  const reload = config.reload ?? 'off';
  if (reload !== 'off') {
    registry.watch({
      mode: reload,
      pollMs: config.pollMs,
      onError: (err) => logger.error({ err }, 'model directory rescan failed'),
    });
  }

  let closing: Promise<void> | null = null;
  const shutdown = (reason: string) => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: draining in-flight requests');
      state.draining = true;
      // Every answer from now on says Connection: close (those begun already cannot).
      for (const res of answering) if (!res.headersSent) res.setHeader('Connection', 'close');
      // Training jobs are cancelled (their processes killed, their files removed); their event streams end.
      const jobsClosed = state.jobs?.close();
      // Streams end at once with 1001 (going away): their clients reconnect to another instance.
      const streamsClosed = streams.close();
      // No new connections (net.Server's close: http.Server's would also close the idle ones at once).
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      // After the grace, kept-alive connections are closed as they go idle.
      let sweep: NodeJS.Timeout | undefined;
      const grace = setTimeout(
        () => {
          server.closeIdleConnections();
          sweep = setInterval(() => server.closeIdleConnections(), 50);
        },
        Math.min(limits.drainIdleGraceMs, config.drainTimeoutMs),
      );
      const timer = setTimeout(() => {
        logger.warn({ timeoutMs: config.drainTimeoutMs }, 'drain timeout: closing the remaining connections');
        server.closeAllConnections();
      }, config.drainTimeoutMs);
      const deadline = performance.now() + config.drainTimeoutMs;
      await Promise.all([closed, streamsClosed, jobsClosed]);
      clearTimeout(grace);
      clearInterval(sweep);
      clearTimeout(timer);
      // Model runs still going (the HTTP requests waiting on them are cut): wait for what is left of the drain.
      if (!(await registry.close(Math.max(0, deadline - performance.now()) + 1000))) {
        logger.warn(
          { timeoutMs: config.drainTimeoutMs },
          'drain timeout: model runs still going; exiting without them',
        );
      }
      state.registry = null;
      logger.info('stopped');
    })();
    return closing;
  };
  return { ...deps, streams, url, shutdown };
}

/**
 * `indrnn serve`: start, then exit 0 after a graceful shutdown on SIGTERM or SIGINT, or when the CLI's
 * launcher process (src/util/allocator.ts) has died.
 */
export async function serveMain(config: ServeConfig): Promise<void> {
  const logger = serverLogger(config.logLevel, config.logFormat);
  const running = await startServer(config, logger);
  // The log goes out asynchronously: write what is buffered (the 'stopped' line) before exiting.
  const exit = (code: number) => logger.flush(() => process.exit(code));
  const stop = (reason: string) => {
    running.shutdown(reason).then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  // A launcher that dies without forwarding a signal sends this process SIGTERM (launcher-watch.ts).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop(sig));
}
