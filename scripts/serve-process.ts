// `indrnn serve` in a child process for the benchmarks: started with the allocator tunables, ready once
// /readyz answers 200, stopped with SIGTERM (the server drains first).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ALLOCATOR_TUNABLES } from '../src/util/allocator.js';

/** The CLI of this build (dist/, or dist-test/ when the tests run), not whatever dist/ the folder holds. */
const OWN_CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/**
 * serveArgs: the flags after `indrnn serve`; port: the one they name, polled for readiness. `env` adds to
 * the environment (INDRNN_NO_REEXEC=1: the child is the server itself, not its launcher); `quiet` pipes its
 * output instead of sharing this process's; `nodeArgs` go to node before the script (--cpu-prof); `cwd`: the
 * checkout whose dist/ to run (another build, to compare); `script`: another server to run with serveArgs
 * instead (dist/scripts/bare-serve.js, bench:server's floor), ready when its GET /readyz answers 200.
 */
export async function startServeProcess(
  serveArgs: string[],
  port: number,
  {
    env = {},
    quiet = false,
    nodeArgs = [],
    cwd,
    script,
  }: { env?: Record<string, string>; quiet?: boolean; nodeArgs?: string[]; cwd?: string; script?: string } = {},
): Promise<ChildProcess> {
  const command = script ? [script] : [cwd ? 'dist/src/cli.js' : OWN_CLI, 'serve'];
  const child = spawn(process.execPath, [...nodeArgs, ...command, ...serveArgs], {
    cwd,
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
    env: { ...process.env, GLIBC_TUNABLES: ALLOCATOR_TUNABLES, ...env },
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become ready in 20 s');
}

export async function stopServeProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
