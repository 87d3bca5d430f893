// Every CLI command runs as the child of a launcher (allocator.ts re-executes the CLI once with settings
// that only work at start), and the pid a shell or a supervisor holds is the launcher's. The launcher
// forwards SIGINT, SIGTERM and SIGHUP; if it dies without forwarding one (SIGKILL, an OOM kill), its child
// would carry on as an orphan nobody supervises (training, writing a cache, serving). So the child
// watches its parent and, once the launcher is gone, stops as if the launcher had forwarded SIGTERM: a
// command with a SIGTERM handler (serve) shuts down its own way, any other ends at once.
//
// The watch runs on a worker thread (launcher-watch-worker.ts): a main thread busy for minutes in
// synchronous work (data build, reading a cache) runs no timers, but its process still takes a signal.
import { Worker } from 'node:worker_threads';

/** Set by the launcher in its child's environment: the launcher's pid. */
export const LAUNCHER_ENV = 'INDRNN_LAUNCHER_PID';

/** What the watch says on stderr before it stops the process. */
export function launcherGoneMessage(launcher: number): string {
  return `indrnn: the launcher process exited (pid ${launcher}); stopping as on SIGTERM\n`;
}

/**
 * In a child of the launcher (LAUNCHER_ENV set), sends this process SIGTERM once the launcher is no longer
 * its parent, checking every `intervalMs`; a no-op in a process started otherwise. LAUNCHER_ENV is taken
 * out of the environment, so that processes this one starts do not watch a launcher that is not theirs.
 */
export function stopWithLauncher(intervalMs = 500, env: NodeJS.ProcessEnv = process.env): void {
  const launcher = Number(env[LAUNCHER_ENV]);
  delete env[LAUNCHER_ENV];
  if (!Number.isInteger(launcher) || launcher <= 0) return;
  if (process.ppid !== launcher) {
    // Already orphaned before we looked.
    process.stderr.write(launcherGoneMessage(launcher));
    process.kill(process.pid, 'SIGTERM');
    return;
  }
  const worker = new Worker(new URL('./launcher-watch-worker.js', import.meta.url), {
    workerData: { launcher, intervalMs },
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref(); // the watch never keeps the process alive
}
