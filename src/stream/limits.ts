// Limits of the WebSocket streams, with their defaults. A limit that a client breaks either gets an error
// message (the connection stays: malformed messages, too many frames in one message) or an error and a
// close (flooding, not reading, idle, too many malformed messages in a row); the close codes are in protocol.ts.

export interface StreamOptions {
  /** Most open streams on the server; more get HTTP 503 too_many_streams at the upgrade. */
  maxConnections: number;
  /** Largest message in bytes; ws closes the connection with 1009 above it. */
  maxMessageBytes: number;
  /** Most frames in one message (too_many_frames, the message is refused). */
  maxFramesPerMessage: number;
  /** Most model steps waiting per connection; beyond, queue_full and close 1008. */
  maxQueuedSteps: number;
  /** Most unsent bytes to a client that does not read; beyond, too_slow and close 1008. */
  maxBufferedBytes: number;
  /** Malformed messages in a row before too_many_errors and close 1008. */
  maxMalformed: number;
  /** No message from the client for this long: idle_timeout and close 4000. */
  idleTimeoutMs: number;
  /** A ping every this often; no pong by the next one: the connection is cut. */
  pingIntervalMs: number;
  /** Most rows (streams x states) in one model run. */
  maxBatchRows: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  maxConnections: 1024,
  maxMessageBytes: 1024 * 1024,
  maxFramesPerMessage: 300,
  maxQueuedSteps: 600,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxMalformed: 10,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 30_000,
  maxBatchRows: 1024,
};
