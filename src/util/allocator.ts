// Settings that only work when the process starts, so the CLI re-executes itself once with them:
// - glibc's malloc returns large onnxruntime output buffers to the OS and page-faults them back in on
//   every call, which made big matrix products 5-10x slower (docs/design.md): raise its thresholds;
// - `serve` gets a smaller young generation: with 100 live streams, V8's default 16 MB semi-spaces made
//   garbage collection the p99 frame latency (docs/streaming.md); 8 MB cut it about 3x;
// - on machines of at most 4 cores, `serve` also scavenges on the main thread alone: the parallel
//   scavenger's helper threads compete with onnxruntime and the OS for the few cores, and at 100 streams on
//   2 cores its pauses were the p99 (5.3 -> 3.8 ms, median of 5 runs each; docs/streaming.md).
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { LAUNCHER_ENV } from './launcher-watch.js';

export const ALLOCATOR_TUNABLES = 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296';

export function hasAllocatorTunables(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold=');
}

/** V8 flags the command in `argv` wants at start, on a machine of `cores` cores. */
export function v8FlagsFor(argv: readonly string[], cores = availableParallelism()): string[] {
  if (argv[2] !== 'serve') return [];
  return cores <= 4 ? ['--max-semi-space-size=8', '--no-parallel-scavenge'] : ['--max-semi-space-size=8'];
}

/** A flag's name without value or `no-`: --no-parallel-scavenge and --parallel-scavenge=x name the same. */
function flagName(flag: string): string {
  return flag
    .split('=')[0]
    .replace(/^--no-/, '--')
    .replaceAll('_', '-');
}

/** The flags of `wanted` not already given (either way) on the command line or in NODE_OPTIONS. */
export function missingFlags(wanted: readonly string[], given: readonly string[]): string[] {
  return wanted.filter((f) => !given.some((g) => flagName(g) === flagName(f)));
}

/**
 * If the allocator tunables or the command's V8 flags are missing (and re-exec is not disabled with
 * INDRNN_NO_REEXEC=1), runs this same command again as a child with them set, forwards signals, and exits
 * with its code; the child stops if this launcher dies without a signal to forward (launcher-watch.ts).
 * Returns false when the current process should carry on itself.
 */
export function reexecWithLaunchSettings(): boolean {
  if (process.env.INDRNN_NO_REEXEC === '1' || process.platform !== 'linux') return false;
  const flags = missingFlags(v8FlagsFor(process.argv), [
    ...process.execArgv,
    ...(process.env.NODE_OPTIONS ?? '').split(/\s+/),
  ]);
  if (hasAllocatorTunables() && flags.length === 0) return false;
  const env: NodeJS.ProcessEnv = { ...process.env, [LAUNCHER_ENV]: String(process.pid) };
  if (!hasAllocatorTunables())
    env.GLIBC_TUNABLES = env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${ALLOCATOR_TUNABLES}` : ALLOCATOR_TUNABLES;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env,
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
  return true;
}
