// The WebSocket endpoint /v1/models/{name}/stream on the HTTP server's port: the upgrade checks (route,
// draining, auth by header or ?token=, model, streamability, connection limit) answer with the HTTP API's
// error body when they refuse; an accepted connection gets a StreamSession, its messages are checked with
// the HTTP input checks (src/serve/input.ts), and its steps run in the model's StreamBatcher.
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { ApiError, CLOSE, errors } from '../predict/errors.js';
import { checkLength, readFrames } from '../serve/input.js';
import type { Metrics } from '../serve/metrics.js';
import type { ServedModel } from '../serve/registry.js';
import type { ServerState } from '../serve/state.js';
import { DEFAULT_STREAM_OPTIONS, type StreamOptions } from './limits.js';
import { parseClientMessage, type ServerMessage } from './protocol.js';
import { StreamSession } from './session.js';
import { StreamBatcher } from './stream-batcher.js';

export interface StreamDeps {
  server: Server;
  state: ServerState;
  metrics: Metrics;
  logger: Logger;
  authorized: (authorization: string | undefined) => boolean;
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

/**
 * One reused buffer for the frames of the message being read: a session takes them in (preprocessed into
 * its own queue) before the next message is read, so no message needs a typed array of its own.
 */
class FramesScratch {
  private data = new Float32Array(0);

  /** A view of n values, valid until the next take. */
  take(n: number): Float32Array {
    if (this.data.length < n) this.data = new Float32Array(Math.max(n, 2 * this.data.length));
    return this.data.subarray(0, n);
  }
}

/** Binary frames: float32 little-endian, `F` values per frame. */
function binaryFrames(
  buf: Buffer,
  F: number,
  maxFrames: number,
  scratch: FramesScratch,
): { raw: Float32Array; T: number } {
  const bytes = F * 4;
  if (buf.byteLength === 0)
    throw new ApiError('empty_sequence', 'the binary message holds no frames', { field: 'frames' });
  if (buf.byteLength % bytes !== 0) {
    throw new ApiError(
      'invalid_shape',
      `the binary message has ${buf.byteLength} bytes, not a multiple of one frame (${F} float32 = ${bytes} bytes)`,
      { field: 'frames' },
    );
  }
  const T = buf.byteLength / bytes;
  if (T > maxFrames) throw errors.tooManyFrames('the binary message', 'frames', T, maxFrames);
  const raw = scratch.take(T * F);
  for (let i = 0; i < raw.length; i++) {
    const v = buf.readFloatLE(i * 4);
    if (!Number.isFinite(v)) {
      throw errors.nonFinite(`frames[${Math.floor(i / F)}][${i % F}]`, v);
    }
    raw[i] = v;
  }
  return { raw, T };
}

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

/** A refused upgrade: the HTTP API's answer for `e` (status, headers, error body). */
function rejectUpgrade(socket: Duplex, e: ApiError): void {
  const body = JSON.stringify(e.toBody());
  let head = `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [k, v] of Object.entries(e.headers)) if (k !== 'Connection') head += `${k}: ${v}\r\n`;
  socket.end(`${head}Connection: close\r\n\r\n${body}`);
}

export function attachStreaming({
  server,
  state,
  metrics,
  logger,
  authorized,
  options = {},
}: StreamDeps): StreamServer {
  const opts: StreamOptions = { ...DEFAULT_STREAM_OPTIONS, ...options };
  const m = metrics.stream;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });
  const batchers = new Map<string, StreamBatcher>();
  const scratch = new FramesScratch();
  const live = new Map<WebSocket, { session: StreamSession; alive: boolean }>();
  let closing = false;

  const failRun = (sessions: StreamSession[], err: unknown) => {
    logger.error({ err }, 'stream run failed');
    for (const s of sessions) drop(s, errors.internal('the model run failed'));
  };
  const batcherFor = (served: ServedModel) => {
    let b = batchers.get(served.name);
    if (!b) {
      b = new StreamBatcher(served, opts.maxBatchRows, m, failRun);
      batchers.set(served.name, b);
    }
    return b;
  };

  // Sessions know their connection through this map (ws -> session) and its reverse.
  const sockets = new Map<StreamSession, WebSocket>();
  function send(ws: WebSocket, session: StreamSession, msg: ServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(msg));
    if (msg.type === 'error') m.errors.inc({ model: session.served.name, code: msg.code });
    if (ws.bufferedAmount > opts.maxBufferedBytes && !session.closed) {
      drop(
        session,
        new ApiError('too_slow', `${ws.bufferedAmount} bytes are waiting to be read (limit ${opts.maxBufferedBytes})`),
      );
    }
  }
  /** Tells the client why (an error message), then closes with the error's close code. */
  function drop(session: StreamSession, e: ApiError): void {
    const reason = e.code;
    const ws = sockets.get(session);
    if (!ws || session.closed) return;
    session.closed = true;
    m.droppedConnections.inc({ model: session.served.name, reason });
    if (session.queue.length)
      m.droppedFrames.inc({ model: session.served.name, reason: 'closed' }, session.queue.length);
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify(e.toMessage()));
      m.errors.inc({ model: session.served.name, code: reason });
    }
    ws.close(e.close, reason);
    // A client that does not read may never answer the close: cut it.
    setTimeout(() => ws.terminate(), 1000).unref();
  }

  const ping = setInterval(() => {
    for (const [ws, c] of live) {
      if (!c.alive) {
        m.droppedConnections.inc({ model: c.session.served.name, reason: 'no_pong' });
        c.session.closed = true;
        ws.terminate();
        continue;
      }
      c.alive = false;
      ws.ping();
    }
  }, opts.pingIntervalMs);
  ping.unref();

  function onConnection(ws: WebSocket, served: ServedModel): void {
    const name = served.name;
    const batcher = batcherFor(served);
    const session: StreamSession = new StreamSession(served, opts.maxQueuedSteps, (msg) => send(ws, session, msg));
    sockets.set(session, ws);
    const conn = { session, alive: true };
    live.set(ws, conn);
    m.active.inc({ model: name });
    m.opened.inc({ model: name });
    let malformed = 0;
    const idle = setTimeout(
      () => drop(session, new ApiError('idle_timeout', `no message for ${opts.idleTimeoutMs} ms`)),
      opts.idleTimeoutMs,
    );
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (err) => {
      // ws closes by itself after a protocol error (1009 for a message above maxPayload, 1002 ...).
      const reason = /max payload/i.test(err.message) ? 'too_big' : 'protocol_error';
      if (!session.closed) m.droppedConnections.inc({ model: name, reason });
      session.closed = true;
      logger.debug({ err: err.message, model: name }, 'stream protocol error');
    });
    ws.on('close', () => {
      clearTimeout(idle);
      if (!session.closed && session.queue.length)
        m.droppedFrames.inc({ model: name, reason: 'closed' }, session.queue.length);
      session.closed = true;
      session.queue.clear();
      live.delete(ws);
      sockets.delete(session);
      m.active.dec({ model: name });
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (session.closed) return;
      const arrivedAt = performance.now();
      idle.refresh();
      try {
        const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        let frames: { raw: Float32Array; T: number } | null = null;
        if (isBinary) frames = binaryFrames(buf, served.model.inputSize, opts.maxFramesPerMessage, scratch);
        else {
          const msg = parseClientMessage(buf.toString('utf8'));
          if (msg.type === 'frames') {
            checkLength(msg.frames, 'frames', opts.maxFramesPerMessage);
            const T = msg.frames.length;
            frames = {
              raw: readFrames(msg.frames, served.input, 'frames', scratch.take(T * served.model.inputSize)),
              T,
            };
          } else if (msg.type === 'reset') {
            const discarded = session.reset();
            if (discarded) m.droppedFrames.inc({ model: name, reason: 'reset' }, discarded);
            send(ws, session, { type: 'reset', discarded });
          } else {
            session.configure(msg);
            send(ws, session, { type: 'config', config: { ...session.config } });
          }
        }
        malformed = 0;
        if (frames) {
          m.framesReceived.inc({ model: name }, frames.T);
          if (session.accept(frames.raw, frames.T, arrivedAt) > 0) batcher.wake(session);
        }
      } catch (e) {
        if (!(e instanceof ApiError)) {
          logger.error({ err: e, model: name }, 'stream message failed');
          drop(session, errors.internal('internal error (logged)'));
          return;
        }
        if (e.code === 'queue_full') {
          drop(session, e);
          return;
        }
        send(ws, session, e.toMessage());
        if (++malformed >= opts.maxMalformed) {
          drop(session, new ApiError('too_many_errors', `${malformed} malformed messages in a row`));
        }
      }
    });
    const meta = served.model.metadata;
    send(ws, session, {
      type: 'ready',
      model: name,
      version: meta.version,
      taskKind: meta.task_kind,
      frameSize: meta.input_size,
      stepRate: session.rate?.fps ?? null,
      window: session.rate?.window ?? null,
      states: session.rows,
      config: { ...session.config },
      limits: {
        maxFramesPerMessage: opts.maxFramesPerMessage,
        maxQueuedSteps: opts.maxQueuedSteps,
        maxMessageBytes: opts.maxMessageBytes,
        idleTimeoutMs: opts.idleTimeoutMs,
      },
    });
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client may reset the connection while we answer: the write then fails on the socket, never the process.
    socket.on('error', (err) => logger.debug({ err: err.message }, 'upgrade socket error'));
    try {
      upgrade(req, socket, head);
    } catch (err) {
      logger.error({ err }, 'upgrade failed');
      if (socket.writable) rejectUpgrade(socket, errors.internal('internal error (logged)'));
      else socket.destroy();
    }
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (e: ApiError) => {
      m.rejected.inc({ reason: e.code });
      rejectUpgrade(socket, e);
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
    const token = url.searchParams.get('token');
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
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, served));
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
      const closed = [...live.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            ws.once('close', () => resolve());
            const c = live.get(ws);
            if (c) c.session.closed = true;
            ws.close(code, reason);
            setTimeout(() => ws.terminate(), 1000).unref();
          }),
      );
      await Promise.all(closed);
      for (const b of batchers.values()) b.stop();
      server.off('upgrade', onUpgrade);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
