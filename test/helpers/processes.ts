// Process trees on Linux, read from /proc: which processes descend from a pid, and waiting for them to go.
import type { ChildProcessByStdio } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';

/** pid -> parent pid of every live process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') out.set(Number(e), Number(fields[1]));
    } catch {} // gone meanwhile
  }
  return out;
}

/** Live (non-zombie) descendants of `pid`. */
export function descendants(pid: number): number[] {
  const tree = parents();
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [child, parent] of tree) {
      if (parent === p) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  return parents().has(pid);
}

/** Resolves once none of `pids` is alive; rejects with the survivors after `timeoutMs`. */
export async function allGone(pids: number[], timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`still running after ${timeoutMs} ms: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls /readyz until 200; rejects after `timeoutMs`, or with its reason once `stop` aborts (a child that exited). */
export async function untilReady(url: string, timeoutMs = 30_000, stop?: AbortSignal): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    stop?.throwIfAborted();
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {}
    if (Date.now() - t0 > timeoutMs) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Collects the stdout of an `indrnn serve` child: `url` resolves with the address its listening log line
 * gives (rejects, with the output, if it exits first); `output()` is everything read so far.
 */
export function servedUrl(child: ChildProcessByStdio<null, Readable, Readable>): {
  url: Promise<string>;
  output: () => string;
} {
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /"url":"([^"]+)"| url=(\S+)/.exec(out); // a JSON log line or a pretty one
      if (m) resolve(m[1] ?? m[2]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { url, output: () => out };
}
