// Regression tests for request shapes that held up the server or lost their answer (issue 24): a KServe
// v2 `outputs` list repeated 100,000 times (a 1.5 GB answer being built), and early error answers (413,
// 401, 404, 415, 503) that clients which send their whole body before reading never saw. Against a
// listening server on 127.0.0.1 (port 0), with a token.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startServeProcess, stopServeProcess } from '../scripts/serve-process.js';
import type { RunningServer } from '../src/server.js';
import { modelDir } from './helpers/models.js';
import { freePort } from './helpers/processes.js';
import { startLoopbackServer } from './helpers/server.js';

const TOKEN = 'hostile-requests-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const D = 6;

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: D } });
  srv = await startLoopbackServer(dir, { token: TOKEN });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function infer(body: unknown) {
  const r = await fetch(`${srv.url}/v2/models/rows/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
  });
  return { status: r.status, code: r.headers.get('x-error-code'), body: (await r.json()) as any };
}

const x = { name: 'x', datatype: 'FP32', shape: [1, 1, D], data: new Array(D).fill(0) };
const outputs = (...names: string[]) => names.map((name) => ({ name }));

describe('KServe v2 outputs list', () => {
  it('an output asked for twice is a 400 naming outputs[i].name, as a repeated input is', async () => {
    for (const [list, field] of [
      [outputs('hT', 'hT'), 'outputs[1].name'],
      [outputs('logits', 'logits'), 'outputs[1].name'],
    ] as const) {
      const r = await infer({ inputs: [x], outputs: list });
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 200));
      assert.equal(r.code, 'invalid_field');
      assert.match(r.body.error, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: output '\\w+' is given twice`));
    }
    const inputTwice = await infer({ inputs: [x, x] });
    assert.equal(inputTwice.status, 400);
    assert.match(inputTwice.body.error, /^inputs\[1\]\.name: input 'x' is given twice/);
  });

  it('a list longer than the model has outputs is refused before any is answered (100,000 x hT)', async () => {
    const r = await infer({ inputs: [x], outputs: outputs(...new Array(100_000).fill('hT')) });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'invalid_field');
    assert.match(r.body.error, /^outputs: lists at most 2 tensors \(logits and hT\), each once/);
    const inputs = await infer({ inputs: new Array(3).fill(x) });
    assert.equal(inputs.status, 400);
    assert.match(inputs.body.error, /^inputs: lists at most 2 tensors/);
  });

  it('an unknown output is a 400 naming it; the answer has each asked output once', async () => {
    const unknown = await infer({ inputs: [x], outputs: outputs('logits', 'probs') });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /^outputs\[1\]\.name is 'probs'; model 'rows' has outputs logits and hT/);
    const both = await infer({ inputs: [x], outputs: outputs('hT', 'logits') });
    assert.equal(both.status, 200);
    assert.deepEqual(
      both.body.outputs.map((o: { name: string }) => o.name),
      ['hT', 'logits'],
    );
    const all = await infer({ inputs: [x] });
    assert.deepEqual(
      all.body.outputs.map((o: { name: string }) => o.name),
      ['logits', 'hT'],
    );
  });
});

/** A body of `bytes` bytes: JSON whitespace after '{' (never parsed: each case is refused before). */
const bigBody = (bytes: number) => Buffer.alloc(bytes, 0x20).fill(0x7b, 0, 1);
const MB = 1024 * 1024;

/** POST `body` with Node's fetch (undici sends the whole body before it reads): the answer, or the error code. */
async function fetchPost(url: string, body: Buffer, headers: Record<string, string>) {
  try {
    const r = await fetch(url, { method: 'POST', headers, body: body as Uint8Array as BodyInit });
    return { status: r.status, code: r.headers.get('x-error-code'), connection: r.headers.get('connection') };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, code: `fetch failed: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
  }
}

/** A raw HTTP/1.1 connection: requests written as given, answers read one at a time (by Content-Length). */
class RawConnection {
  private text = '';
  private waiting: (() => void) | null = null;
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.text += d.toString('latin1');
      this.waiting?.();
    });
    socket.on('error', () => {}); // a reset shows as `closed`
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed.then(() => this.waiting?.());
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /** The next complete answer; rejects if the connection closes first. */
  async answer(): Promise<{ status: number; head: string; body: string }> {
    for (;;) {
      const end = this.text.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.text.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.text.length >= end + 4 + length) {
          const body = this.text.slice(end + 4, end + 4 + length);
          this.text = this.text.slice(end + 4 + length);
          return { status: Number(head.slice(9, 12)), head, body };
        }
      }
      if (this.socket.destroyed) throw new Error(`closed before a whole answer: ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = null;
    }
  }
}

const head = (path: string, length: number, extra = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('early error answers reach clients that send the whole body first', () => {
  const predict = () => `${srv.url}/v1/models/rows/predict`;
  const json = { 'content-type': 'application/json', ...AUTH };
  // In a server process of its own: in this one, the client's writes and the server's close take turns.
  let child: Awaited<ReturnType<typeof startServeProcess>> | undefined;
  let childUrl = '';
  const childPredict = () => `${childUrl}/v1/models/rows/predict`;
  before(async () => {
    const port = await freePort();
    const args = ['--models', dir, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu'];
    args.push('--threads', '1', '--log-level', 'warn', '--token', TOKEN);
    child = await startServeProcess(args, port, { env: { INDRNN_NO_REEXEC: '1' }, quiet: true });
    childUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    if (child) await stopServeProcess(child);
  });

  it("Node's fetch gets the 413 for a body of 8.9 MB (5 times) and of 40 MB", async () => {
    // 40 MB: more than the sockets' buffers take in before the server closes its end.
    for (const [i, bytes] of [8.9e6, 8.9e6, 8.9e6, 8.9e6, 8.9e6, 40e6].entries()) {
      const r = await fetchPost(childPredict(), bigBody(bytes), json);
      assert.deepEqual([r.status, r.code], [413, 'payload_too_large'], `try ${i + 1}: ${bytes} bytes`);
    }
  });

  it('curl gets the 413 for the same body', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'indrnn-413-'));
    try {
      writeFileSync(join(tmp, 'body.json'), bigBody(8.9e6));
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-w',
        '%{http_code}', // after the answer's own newline
        ...['-H', 'content-type: application/json', '-H', `authorization: Bearer ${TOKEN}`],
        ...['--data-binary', `@${join(tmp, 'body.json')}`, childPredict()],
      ]);
      const [body, status] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
      assert.equal(status, '413');
      assert.equal(JSON.parse(body).error.code, 'payload_too_large');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('401, 404 and 415 before the body is read: fetch gets each answer', async () => {
    const cases = [
      [predict(), { 'content-type': 'application/json' }, 401, 'unauthorized'],
      [`${srv.url}/v1/nope`, json, 404, 'not_found'],
      [predict(), { ...AUTH, 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ] as const;
    for (const [url, headers, status, code] of cases) {
      const r = await fetchPost(url, bigBody(2 * MB), headers);
      assert.deepEqual([r.status, r.code], [status, code], url);
    }
  });

  it('503 shutting_down while draining: fetch gets the answer for a 2 MB body', async () => {
    srv.state.draining = true;
    try {
      for (let i = 0; i < 3; i++) {
        const r = await fetchPost(predict(), bigBody(2 * MB), json);
        assert.deepEqual([r.status, r.code, r.connection], [503, 'shutting_down', 'close'], `try ${i + 1}`);
      }
    } finally {
      srv.state.draining = false;
    }
  });

  it('a refused body read to its end leaves a kept-alive connection usable', async () => {
    const c = await RawConnection.open(srv.url);
    try {
      await c.write(Buffer.concat([Buffer.from(head('/v1/models/rows/predict', 2 * MB)), bigBody(2 * MB)]));
      assert.equal((await c.answer()).status, 401);
      await c.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal((await c.answer()).status, 200);
    } finally {
      c.socket.destroy();
    }
  });
});

describe('limits of reading a refused body, and the drain', () => {
  it('a body past the byte limit, or one that never comes, is cut after its answer', { timeout: 30_000 }, async () => {
    const small = await startLoopbackServer(dir, { token: TOKEN, unreadBody: { maxBytes: MB, maxMs: 500 } });
    try {
      const past = await RawConnection.open(small.url);
      await past.write(head('/v1/models/rows/predict', 4 * MB));
      past.write(bigBody(4 * MB));
      assert.equal((await past.answer()).status, 401, 'answered before the body is read');
      await past.closed; // cut after 1 MB (a body read to its end leaves the connection open)
      const never = await RawConnection.open(small.url);
      await never.write(`${head('/v1/models/rows/predict', 2 * MB)}{`);
      assert.equal((await never.answer()).status, 401);
      await never.closed; // cut after 500 ms
      assert.equal((await fetch(`${small.url}/readyz`)).status, 200);
    } finally {
      await small.shutdown('test end');
    }
  });

  it('shutdown: a request sent on a kept-alive connection as the drain begins gets 503 shutting_down', async () => {
    // A long grace, so that the request is read within it however busy the machine is.
    const draining = await startLoopbackServer(dir, { connections: { drainIdleGraceMs: 30_000 } });
    const c = await RawConnection.open(draining.url);
    try {
      await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await c.answer()).status, 200); // the connection is now kept alive, idle
      const stopped = draining.shutdown('test');
      await c.write(Buffer.concat([Buffer.from(head('/v1/models/rows/predict', 2 * MB)), bigBody(2 * MB)]));
      const r = await c.answer();
      assert.equal(r.status, 503);
      assert.equal(JSON.parse(r.body).error.code, 'shutting_down');
      assert.match(r.head, /\r\nConnection: close/i);
      await c.closed;
      await stopped; // no connection left: the drain ends without waiting for the grace
    } finally {
      c.socket.destroy();
      await draining.shutdown('test end');
    }
  });
});
