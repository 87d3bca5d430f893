// One step of a training job: the CLI (`indrnn data build`, `train`, `export`) as a child process at the
// lowest CPU priority, apart from the server's event loop. Its stderr lines go to `onLine` as they come (the
// trainer's progress), its stdout is kept (the --json answer, bounded), and the last lines of stderr say why
// when it fails. `signal` kills it (SIGTERM, then SIGKILL after a grace).
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

/** The lowest priority (nice 19): training takes only what serving leaves. */
const LOWEST_PRIORITY = 19;
/** How long a child has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** The most stdout kept (a train summary with its history is a few hundred kB). */
const MAX_STDOUT = 16 * 1024 * 1024;
/** The stderr lines kept for the error message. */
const TAIL_LINES = 8;

export class StepError extends Error {}

export interface StepOptions {
  /** The CLI script (dist/src/cli.js). */
  cli: string;
  cwd: string;
  signal: AbortSignal;
  /** Each stderr line, as it comes. */
  onLine?: (line: string) => void;
}

/** Runs `indrnn <args>`; resolves with its stdout, rejects with a StepError (its last stderr lines) or the abort. */
export function runCliStep(args: readonly string[], { cli, cwd, signal, onLine }: StepOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // INDRNN_NO_REEXEC: the child is the process that trains (no launcher between), so a kill reaches it.
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, INDRNN_NO_REEXEC: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      if (child.pid !== undefined) setPriority(child.pid, LOWEST_PRIORITY);
    } catch {
      // not allowed here (a container without the capability): it still runs apart from the event loop
    }
    let stdout = '';
    let partial = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_STDOUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        onLine?.(line);
      }
    });
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(new StepError(`could not start indrnn ${args[0]}: ${e.message}`));
    });
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (partial.trim() !== '') tail.push(partial);
      if (signal.aborted) return reject(signal.reason);
      if (code === 0) return resolve(stdout);
      const why =
        tail
          .filter((l) => !/^\s*at /.test(l))
          .slice(-3)
          .join('; ') || `exit ${code ?? sig}`;
      reject(new StepError(`indrnn ${args[0] === 'data' ? 'data build' : args[0]} failed: ${why}`));
    });
  });
}
