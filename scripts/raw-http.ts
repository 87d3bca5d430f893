// Raw HTTP over a TCP socket (tests and the fuzz harness), for requests no well-behaved client sends: absolute-form targets, a
// Content-Length with no body, a reset right after the request. Loopback only.
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Parses the first HTTP response in `text` (enough for this server's short JSON answers). */
export function parseResponse(text: string): RawResponse | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = text.slice(0, end);
  const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (!m) return null;
  return { status: Number(m[1]), head, body: text.slice(end + 4) };
}

/**
 * Sends `request` (bytes as given) and resolves with the response once the server has sent it and closed
 * or `settleMs` passed after its head; rejects after `timeoutMs` without a response head.
 */
export function rawRequest(
  url: string,
  request: string | Buffer,
  { timeoutMs = 5000, settleMs = 200 } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let settle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(settle);
      socket.destroy();
      const r = parseResponse(text);
      if (r) resolve(r);
      else reject(new Error(`no HTTP response; got ${JSON.stringify(text.slice(0, 200))}`));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (parseResponse(text) && !settle) settle = setTimeout(finish, settleMs);
    });
    socket.on('end', finish);
    socket.on('error', finish);
    socket.write(request);
  });
}

/** Sends `request` and resets the connection at once (RST, not FIN): the server writes to a dead socket. */
export function sendAndReset(url: string, request: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname, () => {
      socket.write(request, () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on('error', () => resolve());
  });
}

/** The headers of a WebSocket upgrade request for `target` (any request-target, sent as is). */
export function upgradeRequest(target: string, extra = ''): string {
  return (
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`
  );
}
