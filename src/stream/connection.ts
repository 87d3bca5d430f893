// One accepted stream: owns its socket, its session (state and queued steps), its idle timer, its
// heartbeat and its count of malformed messages in a row. States: open -> closing (the server or the
// client started closing; nothing more is read or run) -> closed (the socket is gone). Every way out of
// `open` (an error that closes, no pong, a protocol error, shutdown, the client's close) goes through
// `leave`, which counts it and its lost steps once.
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import type { StreamMetrics } from '../host/metrics.js';
import type { ServedModel } from '../host/registry.js';
import { readBinaryFrames } from '../predict/binary-frames.js';
import { ApiError } from '../predict/errors.js';
import { readFramesMessage } from '../predict/frames-text.js';
import { checkLength, readFrames } from '../predict/input.js';
import type { FramesScratch } from '../util/scratch.js';
import type { StreamOptions } from './limits.js';
import { closeCode, errorMessage, parseClientMessage, type ServerMessage } from './protocol.js';
import { StreamSession } from './session.js';
import type { StreamBatcher } from './stream-batcher.js';

export type ConnectionState = 'open' | 'closing' | 'closed';

/** What the server lends every connection. */
export interface ConnectionContext {
  opts: StreamOptions;
  metrics: StreamMetrics;
  logger: Logger;
  /** The frames of the message being read: a session takes them in before the next message is read. */
  scratch: FramesScratch;
  /** The socket is gone. */
  onClosed: (c: Connection) => void;
}

export class Connection {
  readonly session: StreamSession;
  private state: ConnectionState = 'open';
  private malformed = 0;
  /** A pong came since the last ping. */
  private alive = true;
  private readonly idle: NodeJS.Timeout;
  private readonly name: string;
  /** This model's frames counter, labelled once (not per message). */
  private readonly framesReceived: { inc(n: number): void };

  constructor(
    private readonly ws: WebSocket,
    private readonly served: ServedModel,
    private readonly batcher: StreamBatcher,
    private readonly ctx: ConnectionContext,
  ) {
    this.name = served.name;
    this.framesReceived = ctx.metrics.framesReceived.labels({ model: this.name });
    this.session = new StreamSession(served, ctx.opts.maxQueuedSteps, this);
    ctx.metrics.active.inc({ model: this.name });
    ctx.metrics.opened.inc({ model: this.name });
    this.idle = setTimeout(
      () => this.drop(new ApiError('idle_timeout', `no message for ${ctx.opts.idleTimeoutMs} ms`)),
      ctx.opts.idleTimeoutMs,
    );
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('error', (err) => {
      // ws closes by itself after a protocol error (1009 for a message above maxPayload, 1002 ...).
      this.leave(/max payload/i.test(err.message) ? 'too_big' : 'protocol_error');
      ctx.logger.debug({ err: err.message, model: this.name }, 'stream protocol error');
    });
    ws.on('close', () => {
      this.leave(null);
      this.state = 'closed';
      ctx.metrics.active.dec({ model: this.name });
      ctx.onClosed(this);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.receive(data, isBinary));
    this.sendReady();
  }

  get open(): boolean {
    return this.state === 'open';
  }

  send(msg: ServerMessage): void {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(msg));
    if (msg.type === 'error') this.ctx.metrics.errors.inc({ model: this.name, code: msg.code });
    const limit = this.ctx.opts.maxBufferedBytes;
    if (ws.bufferedAmount > limit && this.open) {
      this.drop(new ApiError('too_slow', `${ws.bufferedAmount} bytes are waiting to be read (limit ${limit})`));
    }
  }

  /** Tells the client why (the error as a message), then closes with the error's close code. */
  drop(e: ApiError): void {
    if (!this.leave(e.code)) return;
    this.send(errorMessage(e));
    this.ws.close(closeCode(e.code), e.code);
    this.cutLater();
  }

  /** The ping interval's turn: no pong since the last ping ends the connection. */
  heartbeat(): void {
    if (!this.alive) {
      this.leave('no_pong');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Closes for shutdown; resolves when the socket is gone. */
  shutdown(code: number, reason: string): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.state === 'closed' || this.ws.readyState === this.ws.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.leave(null);
      this.ws.close(code, reason);
      this.cutLater();
    });
  }

  /**
   * The one way out of `open`: counts why (`dropped`; null when the client or shutdown closed) and the
   * steps that will now never run, and stops the idle timer. False when the connection had already left.
   */
  private leave(dropped: string | null): boolean {
    if (this.state !== 'open') return false;
    this.state = 'closing';
    clearTimeout(this.idle);
    const m = this.ctx.metrics;
    if (dropped) m.droppedConnections.inc({ model: this.name, reason: dropped });
    const lost = this.session.queue.clear();
    if (lost) m.droppedFrames.inc({ model: this.name, reason: 'closed' }, lost);
    return true;
  }

  /** A client that does not read may never answer the close: cut it. */
  private cutLater(): void {
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (!this.open) return;
    const arrivedAt = performance.now();
    this.idle.refresh();
    const { session, served, ctx } = this;
    const { opts, metrics: m } = ctx;
    try {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      // Frames in the configured layout (converted below), from a binary message or a JSON one.
      const spec = session.conversion?.spec ?? served.input;
      let frames: { frames: Float32Array; T: number } | null = null;
      if (isBinary)
        frames = readBinaryFrames(buf, undefined, spec, opts.maxFramesPerMessage, ctx.scratch, session.points);
      // A well-formed frames message is read from its bytes; anything else takes the general path below.
      else frames = readFramesMessage(buf, spec, opts.maxFramesPerMessage, ctx.scratch, session.points.minScore);
      if (!isBinary && !frames) {
        const msg = parseClientMessage(buf.toString('utf8'));
        if (msg.type === 'frames') {
          checkLength(msg.frames, 'frames', opts.maxFramesPerMessage);
          const T = msg.frames.length;
          const into = ctx.scratch.take(T * session.frameSize);
          frames = { frames: readFrames(msg.frames, spec, 'frames', into, session.points.minScore), T };
        } else if (msg.type === 'reset') {
          const discarded = session.reset();
          if (discarded) m.droppedFrames.inc({ model: this.name, reason: 'reset' }, discarded);
          this.send({ type: 'reset', discarded });
        } else {
          session.configure(msg);
          this.send({ type: 'config', config: { ...session.config }, frameSize: session.binaryFrameSize });
        }
      }
      this.malformed = 0;
      if (frames) {
        const { T } = frames;
        const raw = session.conversion ? session.conversion.convert(frames.frames, T) : frames.frames;
        this.framesReceived.inc(T);
        if (session.accept(raw, T, arrivedAt) > 0) this.batcher.wake(session);
      }
    } catch (e) {
      if (!(e instanceof ApiError)) {
        ctx.logger.error({ err: e, model: this.name }, 'stream message failed');
        this.drop(new ApiError('internal', 'internal error (logged)'));
      } else if (e.code === 'queue_full') this.drop(e);
      else {
        this.send(errorMessage(e));
        if (++this.malformed >= opts.maxMalformed) {
          this.drop(new ApiError('too_many_errors', `${this.malformed} malformed messages in a row`));
        }
      }
    }
  }

  private sendReady(): void {
    const { session, ctx } = this;
    const meta = this.served.model.metadata;
    const o = ctx.opts;
    this.send({
      type: 'ready',
      model: this.name,
      version: meta.version,
      taskKind: meta.task_kind,
      frameSize: session.binaryFrameSize,
      stepRate: session.rate?.fps ?? null,
      window: session.rate?.window ?? null,
      states: session.rows,
      config: { ...session.config },
      limits: {
        maxFramesPerMessage: o.maxFramesPerMessage,
        maxQueuedSteps: o.maxQueuedSteps,
        maxMessageBytes: o.maxMessageBytes,
        idleTimeoutMs: o.idleTimeoutMs,
      },
    });
  }
}
