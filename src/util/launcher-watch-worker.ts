// The launcher watch's thread (launcher-watch.ts): polls the parent pid, and once the launcher is gone
// says so on stderr and sends the process SIGTERM (which reaches it even while its main thread is busy).
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { launcherGoneMessage } from './launcher-watch.js';

const { launcher, intervalMs } = workerData as { launcher: number; intervalMs: number };

const timer = setInterval(() => {
  if (process.ppid === launcher) return;
  clearInterval(timer);
  writeSync(2, launcherGoneMessage(launcher));
  process.kill(process.pid, 'SIGTERM');
}, intervalMs);
