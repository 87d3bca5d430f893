// The hostile-input harness (issue 11): property-based tests (fast-check) that throw generated HTTP requests
// (methods, paths, headers, bodies, encodings, nesting, numbers) and WebSocket upgrades, messages and binary
// frames at a real `indrnn serve` child process on 127.0.0.1, and check after each batch that
//   - no answer is a 5xx (503 overloaded / too_many_streams excepted: load, not a fault), no stream closes
//     with 1011 or reports `internal`, no prediction is null (a number lost to float32);
//   - an infer answer has each output at most once (never bigger than the model's logits and hT);
//   - the process is alive, /readyz answers 200 and a normal predict gives the answer it gave at start;
//   - its RSS stays within a bound, and no line of its log (at info: every request) holds the token.
// The cases come from fuzz-cases.ts. Used by test/fuzz.test.ts (a short seeded run) and scripts/fuzz.ts
// (`npm run fuzz -- --minutes N`).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { CLASSIFIER, FUZZ_TOKEN, type HttpCase, httpBytes, httpCase, type WsCase, wsCase } from './fuzz-cases.js';
import { rawRequest, sendAndReset } from './raw-http.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const J = 25;

export interface FuzzServer {
  child: ChildProcess;
  url: string;
  /** The server's recent output, for a finding's report. */
  output: () => string;
  /** Lines of its output that held the token (redaction missed it), taken once. */
  takeLeaks: () => string[];
}

/** `indrnn serve` on 127.0.0.1:port over `models` (needs ntu-synth and ntu-synth-stream), with a token. */
export async function startFuzzServer(models: string, port: number): Promise<FuzzServer> {
  const args = ['--models', models, '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu'];
  args.push('--threads', '1', '--log-level', 'info', '--max-body-bytes', '1mb', '--token', FUZZ_TOKEN);
  const child = await startServeProcess(args, port, { env: { INDRNN_NO_REEXEC: '1' }, quiet: true });
  let output = '';
  let leaks: string[] = [];
  /** Keeps the recent output, and checks each whole line of one stream (a chunk may end inside a line). */
  const keeper = () => {
    let partial = '';
    return (d: Buffer) => {
      const text = d.toString();
      output = (output + text).slice(-8000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.includes(FUZZ_TOKEN)) leaks.push(line.slice(0, 400));
    };
  };
  child.stdout?.on('data', keeper());
  child.stderr?.on('data', keeper());
  const takeLeaks = () => {
    const taken = leaks;
    leaks = [];
    return taken;
  };
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, takeLeaks };
}

export const stopFuzzServer = (s: FuzzServer) => stopServeProcess(s.child);

export interface FuzzCounts {
  requests: number;
  upgrades: number;
  messages: number;
  seeds: number;
  /** Answers by HTTP status (upgrades refused included), and streams opened as "ws". */
  statuses: Record<string, number>;
  findings: Finding[];
}

export function newCounts(): FuzzCounts {
  return { requests: 0, upgrades: 0, messages: 0, seeds: 0, statuses: {}, findings: [] };
}

const tally = (counts: FuzzCounts, key: string | number) => {
  counts.statuses[key] = (counts.statuses[key] ?? 0) + 1;
};

export interface Finding {
  kind: string;
  seed?: number;
  detail: string;
}

const ALLOWED_503 = /"code":"(overloaded|too_many_streams)"/;

/** A 5xx that is a fault (not load): the status line and body, else null. */
function fault(status: number, body: string): string | null {
  if (status < 500) return null;
  if (status === 503 && ALLOWED_503.test(body)) return null;
  return `${status} ${body.slice(0, 300)}`;
}

/** Null or missing numbers in a prediction (a value lost to float32 or worse). */
function badPrediction(json: any): boolean {
  const preds = json?.predictions ?? (json?.type === 'prediction' ? [json] : []);
  return preds.some(
    (p: any) => (p.probability ?? p.value) === null || (p.topK ?? []).some((k: any) => k.probability === null),
  );
}

/** A KServe answer that lists an output more than once (the model has each once). */
function repeatedOutputs(json: any): boolean {
  const names: unknown[] = Array.isArray(json?.outputs) ? json.outputs.map((o: any) => o?.name) : [];
  return new Set(names).size !== names.length;
}

/** Sends one generated request; returns why it breaks an invariant, or null. */
export async function checkHttp(url: string, c: HttpCase, counts: FuzzCounts): Promise<string | null> {
  counts.requests++;
  if (c.reset) {
    await sendAndReset(url, httpBytes(c).toString('latin1'));
    return null; // nothing to read: the process staying up is checked with the health invariants
  }
  let r: Awaited<ReturnType<typeof rawRequest>>;
  try {
    r = await rawRequest(url, httpBytes(c), { timeoutMs: 15_000 });
  } catch (e) {
    return `no answer to ${c.method} ${c.path.slice(0, 80)}: ${(e as Error).message}`;
  }
  tally(counts, r.status);
  const bad = fault(r.status, r.body);
  if (bad) return `${c.method} ${c.path.slice(0, 80)} -> ${bad}`;
  if (r.status === 200 && /predict|infer/.test(c.path)) {
    try {
      const answer = JSON.parse(r.body);
      if (badPrediction(answer)) return `${c.method} ${c.path.slice(0, 80)} -> 200 with a null prediction`;
      if (repeatedOutputs(answer)) return `${c.method} ${c.path.slice(0, 80)} -> 200 with an output repeated`;
    } catch {} // chunked or partial: the status is what counts
  }
  return null;
}

/** Opens a stream as the case says, sends its messages, then a reset whose ack proves they were all handled. */
export async function checkWs(url: string, c: WsCase, counts: FuzzCounts): Promise<string | null> {
  counts.upgrades++;
  const tokenParam = c.auth === 'query' ? 'token' : c.auth === 'query-encoded' ? 'tok%65n' : null;
  const query = tokenParam ? `${c.path.includes('?') ? '&' : '?'}${tokenParam}=${FUZZ_TOKEN}` : '';
  const target = `${url.replace('http', 'ws')}${c.path}${query}`;
  const headers: Record<string, string> =
    c.auth === 'header'
      ? { authorization: `Bearer ${FUZZ_TOKEN}` }
      : c.auth === 'wrong'
        ? { authorization: 'Bearer x' }
        : {};
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(target, { headers, handshakeTimeout: 10_000, perMessageDeflate: false });
    } catch {
      return resolve(null); // a target the client itself refuses to send
    }
    let problem: string | null = null;
    let done = false;
    const finish = (why: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(why ?? problem);
    };
    const timer = setTimeout(() => finish('no reset ack within 15 s'), 15_000);
    ws.on('unexpected-response', (_req, res) => {
      tally(counts, res.statusCode ?? 0);
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => finish(fault(res.statusCode ?? 0, body)));
    });
    ws.on('error', () => finish(null));
    ws.on('close', (code) => finish(code === 1011 ? 'closed with 1011 (internal)' : null));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: any;
      try {
        m = JSON.parse(String(data));
      } catch {
        problem ??= 'a server message is not JSON';
        return;
      }
      if (m.type === 'error' && m.code === 'internal') problem ??= `internal error: ${m.message}`;
      if (badPrediction(m)) problem ??= 'a null prediction';
      if (m.type === 'ready') {
        tally(counts, 'ws');
        for (const msg of c.messages) {
          counts.messages++;
          ws.send(msg.data, { binary: msg.binary });
        }
        ws.send('{"type":"reset"}');
      }
      if (m.type === 'reset') finish(null);
    });
  });
}

/** VmRSS of a process, in MB (null when it is gone). */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A normal request and its answer at start, to check the server still answers it the same. */
export function normalFrames(): number[][][] {
  return Array.from({ length: 30 }, (_, t) =>
    Array.from({ length: J }, (_, j) => [
      0.3 * Math.sin(t / 5 + j),
      (j % 5) * 0.2 - 0.4,
      3 + 0.05 * Math.cos(t / 7 + j),
    ]),
  );
}

export async function normalPredict(url: string): Promise<{ label: string; probability: number }> {
  const r = await fetch(`${url}/v1/models/${CLASSIFIER}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${FUZZ_TOKEN}` },
    body: JSON.stringify({ frames: normalFrames() }),
  });
  if (r.status !== 200) throw new Error(`normal predict: HTTP ${r.status} ${await r.text()}`);
  const p = ((await r.json()) as any).predictions[0];
  return { label: p.label, probability: p.probability };
}

export interface Health {
  baseline: { label: string; probability: number };
  rssLimitMb: number;
}

/** The invariants between batches: alive, ready, the normal answer unchanged, RSS within bounds. */
export async function checkHealth(server: FuzzServer, health: Health): Promise<string | null> {
  const { child, url } = server;
  if (child.exitCode !== null || child.signalCode !== null)
    return `the server exited (${child.exitCode ?? child.signalCode}): ${server.output().slice(-1500)}`;
  try {
    const ready = await fetch(`${url}/readyz`);
    if (ready.status !== 200) return `/readyz ${ready.status}: ${await ready.text()}`;
    const p = await normalPredict(url);
    if (p.label !== health.baseline.label || Math.abs(p.probability - health.baseline.probability) > 1e-5)
      return `the normal predict changed: ${JSON.stringify(p)} vs ${JSON.stringify(health.baseline)}`;
  } catch (e) {
    return `health check failed: ${(e as Error).message}`;
  }
  const rss = rssMb(child.pid!);
  if (rss !== null && rss > health.rssLimitMb) return `RSS ${rss.toFixed(0)} MB above ${health.rssLimitMb} MB`;
  const leaks = server.takeLeaks();
  if (leaks.length) return `${leaks.length} log lines hold the token, the first: ${leaks[0]}`;
  return null;
}

/**
 * One seed: `httpRuns` generated requests and `wsRuns` generated streams (fast-check, stopping at the
 * first failure of each), then the health invariants. Findings are added to counts.
 */
export async function fuzzSeed(
  server: FuzzServer,
  health: Health,
  seed: number,
  counts: FuzzCounts,
  { httpRuns = 100, wsRuns = 20 } = {},
): Promise<void> {
  counts.seeds++;
  const add = (kind: string, detail: string) => counts.findings.push({ kind, seed, detail });
  const http = await fc.check(
    fc.asyncProperty(httpCase, async (c) => {
      const why = await checkHttp(server.url, c, counts);
      if (why) throw new Error(why);
    }),
    { seed, numRuns: httpRuns, endOnFailure: true },
  );
  if (http.failed) {
    const c = http.counterexample?.[0];
    const sent = c && { ...c, body: c.body.toString('latin1').slice(0, 400) };
    add('http', `${(http.errorInstance as Error)?.message ?? 'interrupted'}; request ${JSON.stringify(sent)}`);
  }
  const ws = await fc.check(
    fc.asyncProperty(wsCase, async (c) => {
      const why = await checkWs(server.url, c, counts);
      if (why) throw new Error(why);
    }),
    { seed, numRuns: wsRuns, endOnFailure: true },
  );
  if (ws.failed) {
    const c = ws.counterexample?.[0];
    const sent = c && {
      ...c,
      messages: c.messages.map((m) => (m.binary ? `<${m.data.length} bytes>` : String(m.data).slice(0, 200))),
    };
    add('websocket', `${(ws.errorInstance as Error)?.message ?? 'interrupted'}; stream ${JSON.stringify(sent)}`);
  }
  const sick = await checkHealth(server, health);
  if (sick) add('health', sick);
}

/** The health baseline of a freshly started server: its normal answer and an RSS limit above its RSS now. */
export async function baselineOf(server: FuzzServer, rssHeadroomMb = 768): Promise<Health> {
  const baseline = await normalPredict(server.url);
  return { baseline, rssLimitMb: (rssMb(server.child.pid!) ?? 0) + rssHeadroomMb };
}
