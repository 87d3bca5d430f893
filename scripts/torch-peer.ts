// Runs the PyTorch peer (scripts/bench-train-peer.py) with PyTorch's threads pinned to `threads`, and reads
// the JSON of its last output line; or says why it did not run (no Python with torch, a failure).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PEER_SCRIPT = fileURLToPath(new URL('../../scripts/bench-train-peer.py', import.meta.url));

export function runTorchPeer<T>(python: string, args: readonly string[], threads: number): T | { error: string } {
  const r = spawnSync(python, [PEER_SCRIPT, ...args, '--threads', String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0)
    return { error: `${python} ${PEER_SCRIPT}: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}` };
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as T;
}
