// The WebSocket endpoint /v1/models/{name}/stream on the HTTP server's port: the upgrade checks (route,
// draining, auth by header or ?token=, model, streamability, connection limit) answer with the HTTP API's
// error body when they refuse; an accepted connection is a Connection (connection.ts), and its steps run
// in the model's StreamBatcher.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Metrics } from '../host/metrics.js';
import type { ServedModel } from '../host/registry.js';
import type { ServerState } from '../host/state.js';
import { ApiError, errors } from '../predict/errors.js';
import { STREAM_TOKEN_PARAM } from '../util/query-secrets.js';
import { FramesScratch } from '../util/scratch.js';
import { Connection, type ConnectionContext } from './connection.js';
import { DEFAULT_STREAM_OPTIONS, type StreamOptions } from './limits.js';
import { CLOSE } from './protocol.js';
import type { StreamSession } from './session.js';
import { StreamBatcher } from './stream-batcher.js';

export interface StreamDeps {
  server: Server;
  state: ServerState;
  metrics: Metrics;
  logger: Logger;
  authorized: (authorization: string | undefined) => boolean;
  /** Answers a refused upgrade as the HTTP API answers the error (src/serve/http-errors.ts). */
  refuseUpgrade: (socket: Duplex, e: ApiError) => void;
  options?: Partial<StreamOptions>;
}

export interface StreamServer {
  readonly options: StreamOptions;
  /** Open streams. */
  readonly size: number;
  /** Closes every stream (1001 by default) and stops accepting; resolves when they are closed. */
  close(code?: number, reason?: string): Promise<void>;
}

const ROUTE = /^\/v1\/models\/([^/]+)\/stream\/?$/;

/** The request target as a URL (origin-form or absolute-form), or null when it is not one. */
function parseTarget(target: string): URL | null {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

/** A percent-decoded path segment, or null when its encoding is not valid UTF-8 (`%ff`). */
function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function attachStreaming(deps: StreamDeps): StreamServer {
  const { server, state, metrics, logger, authorized, refuseUpgrade, options = {} } = deps;
  const opts: StreamOptions = { ...DEFAULT_STREAM_OPTIONS, ...options };
  const m = metrics.stream;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });
  // By model version: a reload serves new streams from the new model while open ones keep theirs.
  const batchers = new Map<ServedModel, StreamBatcher>();
  const live = new Set<Connection>();
  /** Each stream holds its model (registry lease) until it closes: a reload frees the old one only then. */
  const leases = new Map<Connection, { served: ServedModel; release: () => void }>();
  const ctx: ConnectionContext = {
    opts,
    metrics: m,
    logger,
    scratch: new FramesScratch(),
    onClosed: (c) => {
      live.delete(c);
      const lease = leases.get(c);
      leases.delete(c);
      if (!lease) return;
      lease.release();
      // The last stream of a model version that a reload replaced: its batcher goes too.
      const { served } = lease;
      if (state.registry?.get(served.name, served.version) === served) return;
      for (const other of leases.values()) if (other.served === served) return;
      batchers.get(served)?.stop();
      batchers.delete(served);
    },
  };
  let closing = false;

  const failRun = (sessions: StreamSession[], err: unknown) => {
    logger.error({ err }, 'stream run failed');
    for (const s of sessions) s.link.drop(new ApiError('internal', 'the model run failed'));
  };
  const batcherFor = (served: ServedModel) => {
    let b = batchers.get(served);
    if (!b) {
      b = new StreamBatcher(served, opts.maxBatchRows, m, failRun);
      batchers.set(served, b);
    }
    return b;
  };

  const ping = setInterval(() => {
    for (const c of live) c.heartbeat();
  }, opts.pingIntervalMs);
  ping.unref();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client may reset the connection while we answer: the write then fails on the socket, never the process.
    socket.on('error', (err) => logger.debug({ err: err.message }, 'upgrade socket error'));
    try {
      upgrade(req, socket, head);
    } catch (err) {
      logger.error({ err }, 'upgrade failed');
      if (socket.writable) refuseUpgrade(socket, new ApiError('internal', 'internal error (logged)'));
      else socket.destroy();
    }
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (e: ApiError) => {
      m.rejected.inc({ reason: e.code });
      refuseUpgrade(socket, e);
    };
    const url = parseTarget(req.url ?? '/');
    if (!url) return refuse(new ApiError('invalid_request', 'the request target is not a valid URL'));
    const route = ROUTE.exec(url.pathname);
    if (!route) {
      return refuse(
        new ApiError('not_found', `no WebSocket route ${url.pathname}; streams are at /v1/models/{name}/stream`),
      );
    }
    if (closing || state.draining) return refuse(errors.shuttingDown());
    // Names decoded as the request log's redaction decodes them (util/query-secrets.ts).
    const token = url.searchParams.get(STREAM_TOKEN_PARAM);
    if (!authorized(req.headers.authorization) && !(token !== null && authorized(`Bearer ${token}`))) {
      const given = Boolean(req.headers.authorization) || token !== null;
      return refuse(errors.unauthorized(given, 'streams need Authorization: Bearer <token> or ?token=<token>'));
    }
    if (!state.registry) return refuse(errors.notReady());
    const name = decodePathSegment(route[1]);
    const served = name === null ? undefined : state.registry.get(name);
    if (!served) return refuse(errors.modelNotFound(name ?? route[1], state.registry.names));
    const sampling = served.model.metadata.sampling;
    if (sampling?.kind === 'segments') {
      return refuse(
        new ApiError(
          'not_streamable',
          `model '${name}' was trained on ${sampling.segments} segments of whole actions (sampling 'segments'): it needs the whole action and cannot stream; use POST /v1/models/${name}/predict, or a model with 'rate' sampling`,
        ),
      );
    }
    if (live.size >= opts.maxConnections) {
      return refuse(
        new ApiError('too_many_streams', `${live.size} streams are open (limit ${opts.maxConnections}); retry later`),
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const release = served.lease();
      const c = new Connection(ws, served, batcherFor(served), ctx);
      live.add(c);
      leases.set(c, { served, release });
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    options: opts,
    get size() {
      return live.size;
    },
    async close(code: number = CLOSE.goingAway, reason = 'server shutting down') {
      closing = true;
      clearInterval(ping);
      const closed = [...live].map((c) => c.shutdown(code, reason));
      await Promise.all(closed);
      for (const b of batchers.values()) b.stop();
      server.off('upgrade', onUpgrade);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
