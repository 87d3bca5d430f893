// glibc's malloc returns large onnxruntime output buffers to the OS and page-faults them back in on
// every call, which made big matrix products 5-10x slower (DESIGN.md). The tunables must be present
// when the process starts, so the CLI re-executes itself once with them set.
import { spawn } from 'node:child_process';

export const ALLOCATOR_TUNABLES = 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296';

export function hasAllocatorTunables(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_threshold=');
}

/**
 * If the allocator tunables are missing (and re-exec is not disabled with INDRNN_NO_REEXEC=1),
 * runs this same command again as a child with them set, forwards signals, and exits with its code.
 * Returns false when the current process should carry on itself.
 */
export function reexecWithAllocatorTunables(): boolean {
  if (hasAllocatorTunables() || process.env.INDRNN_NO_REEXEC === '1' || process.platform !== 'linux') return false;
  const tunables = process.env.GLIBC_TUNABLES
    ? `${process.env.GLIBC_TUNABLES}:${ALLOCATOR_TUNABLES}`
    : ALLOCATOR_TUNABLES;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
  return true;
}
