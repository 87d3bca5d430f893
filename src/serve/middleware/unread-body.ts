// An error answered before the request's body was read (401, 404, 415, a declared 413, 503 shutting_down):
// a client that sends its whole body before it reads the answer (Node's fetch, most HTTP libraries) found
// the connection closed under it (EPIPE, ECONNRESET) and never saw the answer. Such an answer is written
// at once, complete (Content-Length), then the rest of the body is read and thrown away, up to
// UNREAD_BODY_LIMITS (bytes and time), and only then does the answer end: a connection the answer closes
// closes cleanly, one it keeps alive is ready for the next request. A body past either limit is cut: the
// connection is closed where it stands (the client may see a reset then, having been told).
import type { Request, Response } from 'express';
import { jsonText } from '../json-answer.js';

export interface UnreadBodyLimits {
  /** Most bytes of a refused body read and thrown away before the connection is closed. */
  maxBytes: number;
  /** Longest wait for the rest of a refused body. */
  maxMs: number;
}

/** 64 MiB arrive in well under a second on a LAN; 5 s covers a slow client's 8 MiB at a few MB/s. */
export const UNREAD_BODY_LIMITS: UnreadBodyLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 5000 };

/** True when the request has a body (declared or chunked) that nothing has read to its end. */
export function bodyUnread(req: Request): boolean {
  if (req.complete || req.readableEnded || req.destroyed) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Reads and discards what is left of `req`'s body; `done(true)` at its end, `done(false)` past a limit or
 * when the connection went first. Whatever happens, `done` is called once, within `limits.maxMs`.
 */
export function discardBody(req: Request, limits: UnreadBodyLimits, done: (drained: boolean) => void): void {
  let bytes = 0;
  let settled = false;
  const finish = (drained: boolean) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
    req.off('error', onError);
    if (!drained) req.pause();
    done(drained);
  };
  const onData = (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) finish(false);
  };
  const onEnd = () => finish(true);
  const onClose = () => finish(req.complete);
  const onError = () => finish(false); // a reset mid-body: nothing left to read
  const timer = setTimeout(() => finish(false), limits.maxMs);
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
  req.on('error', onError);
  req.resume();
}

/**
 * Answers `body` as JSON with the status and headers already set on `res`. When the request's body has not
 * been read, the answer goes out at once and ends after the body is discarded (see above).
 */
export function sendJson(req: Request, res: Response, body: unknown, limits: UnreadBodyLimits): void {
  if (!bodyUnread(req)) {
    res.json(body);
    return;
  }
  const payload = jsonText(body);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  // no-transform: a compressor would hold the answer back until it ends, after the body.
  res.setHeader('Cache-Control', 'no-store, no-transform');
  res.write(payload);
  discardBody(req, limits, (drained) => {
    if (drained) res.end();
    else res.end(() => req.socket?.destroy());
  });
}
