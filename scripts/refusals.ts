// What the benchmarks count when the server refuses or ends their work: each refusal by the limit the
// server named (its JSON error body `{ "error": { "code", "message" } }`, a WebSocket close reason, a stream
// error message), so a run past a limit says which limit, and keeps going with what was accepted.
import type { IncomingMessage } from 'node:http';

/** Refusals counted by their reason ("503 too_many_streams: 512 streams are open (limit 512); retry later"). */
export class Refusals {
  private readonly counts = new Map<string, number>();

  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** The reasons with their counts, most frequent first; '' when nothing was refused. */
  toString(): string {
    return describeRefusals(this.toJSON());
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** Counts by reason as one line, most frequent first ('' when none). */
export function describeRefusals(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} x ${reason}`)
    .join('; ');
}

/** The reason an HTTP error answer gives: its status and the error body's code and message (or its text). */
export function answerReason(status: number, body: string): string {
  try {
    const e = JSON.parse(body)?.error;
    if (e && typeof e.code === 'string') return `${status} ${e.code}: ${e.message ?? ''}`.trim();
  } catch {}
  const text = body.trim().slice(0, 120);
  return text ? `${status}: ${text}` : `${status} (no body)`;
}

/** Reads a refused WebSocket upgrade's answer (ws's 'unexpected-response') into its reason. */
export function upgradeRefusalReason(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < 4096) body += chunk;
    });
    const done = () => resolve(answerReason(res.statusCode ?? 0, body));
    res.on('end', done);
    res.on('error', done);
  });
}

/** A connection that failed before any HTTP answer (the server closed it at once: its --max-connections). */
export function connectionErrorReason(err: Error & { code?: string }): string {
  return `no answer, ${err.code ?? err.message} (the server closes connections beyond --max-connections unanswered)`;
}
