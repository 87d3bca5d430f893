// A WebSocket test client for the stream endpoint: collects every server message, waits for the ones a
// test needs, and records how the connection closed.
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

export class StreamClient {
  readonly messages: any[] = [];
  closed: Closed | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      this.messages.push(isBinary ? data : JSON.parse(String(data)));
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.notify();
    });
    ws.on('error', () => {});
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Opens a stream; resolves once the server's ready message came. */
  static async open(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<StreamClient> {
    const ws = new WebSocket(url, opts);
    const c = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    await c.until((m) => m.type === 'ready');
    return c;
  }

  /** Resolves with the first message (from index `from`) matching `pred`, or throws after timeoutMs. */
  until(pred: (m: any) => boolean, timeoutMs = 5000, from = 0): Promise<any> {
    return this.waitFor(
      () => this.messages.slice(from).find(pred),
      timeoutMs,
      () => `timed out; got ${JSON.stringify(this.messages.slice(-3))}`,
    );
  }

  /** Waits for `n` prediction messages in total. */
  predictions(n: number, timeoutMs = 5000): Promise<any[]> {
    const got = () => this.messages.filter((m) => m.type === 'prediction');
    return this.waitFor(
      () => (got().length >= n ? got() : undefined),
      timeoutMs,
      () => `timed out with ${got().length}/${n} predictions`,
    );
  }

  /** Resolves once the connection is closed. */
  whenClosed(timeoutMs = 5000): Promise<Closed> {
    return this.waitFor(
      () => this.closed ?? undefined,
      timeoutMs,
      () => 'not closed',
      false,
    );
  }

  /** Re-checks `found` at every message and at the close; the timer is only the deadline. */
  private waitFor<T>(found: () => T | undefined, timeoutMs: number, timedOut: () => string, failOnClose = true) {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(timedOut()));
      }, timeoutMs);
      const check = () => {
        const value = found();
        if (value !== undefined) resolve(value);
        else if (failOnClose && this.closed)
          reject(new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting`));
        else return void this.waiters.push(check);
        clearTimeout(timer);
      };
      check();
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' || msg instanceof Buffer ? msg : JSON.stringify(msg));
  }

  close(): void {
    this.ws.close();
  }
}

/** The upgrade's refusal: status and JSON body. */
export function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('error', () => {});
  });
}

/** Float32 little-endian bytes of the values. */
export function f32(values: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i], i * 4);
  return b;
}

/** Streams frames (at 30 fps) one per message to a model's stream URL; returns every prediction. */
export async function streamFrameByFrame(url: string, frames: unknown[], config: object = {}): Promise<any[]> {
  const c = await StreamClient.open(url);
  c.send({ type: 'config', topK: 5, ...config });
  await c.until((m) => m.type === 'config');
  for (const f of frames) c.send({ type: 'frames', frames: [f] });
  const ready = c.messages[0];
  const expected = ready.stepRate ? Math.floor(((frames.length - 1) * ready.stepRate) / 30 + 1e-9) + 1 : frames.length;
  const preds = await c.predictions(expected);
  c.close();
  return preds;
}

/** Probabilities of every class, by index, from a prediction with topK = K. */
export const probs = (p: { topK: { index: number; probability: number }[] }) =>
  [...p.topK].sort((a, b) => a.index - b.index).map((s) => s.probability);

export function assertClose(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}
