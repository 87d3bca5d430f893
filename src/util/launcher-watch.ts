// A server started by the CLI's re-exec (allocator.ts) is the child of a launcher that only forwards
// signals. If the launcher dies without forwarding one (SIGKILL, an OOM kill), the server would serve on
// as an orphan nobody supervises: it watches its parent instead, and stops when the launcher is gone.

/** Set by the launcher in its child's environment: the launcher's pid. */
export const LAUNCHER_ENV = 'INDRNN_LAUNCHER_PID';

/**
 * Calls `onGone` once when this process's launcher (LAUNCHER_ENV) is no longer its parent; a no-op for a
 * process not started by a launcher. Polls the parent pid every `intervalMs` on an unref'd timer.
 * Returns a function that stops watching.
 */
export function watchLauncher(onGone: () => void, intervalMs = 500, env: NodeJS.ProcessEnv = process.env): () => void {
  const launcher = Number(env[LAUNCHER_ENV]);
  if (!Number.isInteger(launcher) || launcher <= 0) return () => {};
  if (process.ppid !== launcher) {
    // Already orphaned before we looked.
    queueMicrotask(onGone);
    return () => {};
  }
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
