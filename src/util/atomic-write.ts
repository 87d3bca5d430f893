// Files that must never be half-written (dataset caches, checkpoints, exported models, run summaries,
// model cards): the bytes go to a temporary file beside the target (`<target>.tmp-<pid>`), every byte
// counted (writeSync may write fewer than asked: a full disk, `ulimit -f`), flushed to disk (fsync), and
// only then renamed over the target. Any failure removes the temporary file, keeps the previous target and
// throws with the path and the reason. A process killed mid-write (SIGKILL, a signal it does not handle)
// cannot remove its temporary file: the next write of the same target removes the temporary files of
// processes that are no longer alive.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** For tests: replaces writeSync, to inject short writes and errors. */
export type WriteFn = (fd: number, bytes: Uint8Array, offset: number, length: number) => number;

const defaultWrite: WriteFn = (fd, bytes, offset, length) => writeSync(fd, bytes, offset, length);

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The temporary file of `path` while process `pid` writes it. */
export function tempPathOf(path: string, pid = process.pid): string {
  return `${path}.tmp-${pid}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** Removes the temporary files of `path` left by writers that died mid-write; returns their paths. */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no folder yet: nothing left behind
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = name.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (!/^[1-9]\d*$/.test(pid) || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/**
 * Writes `data` (text as UTF-8) to `path` atomically; throws "path: could not write ... (reason); the previous
 * file is kept". Temporary files of `path` left by dead writers are removed first.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, write: WriteFn = defaultWrite): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  removeStaleTemps(path);
  const tmp = tempPathOf(path);
  let written = 0;
  try {
    const fd = openSync(tmp, 'w');
    try {
      while (written < bytes.length) {
        const n = write(fd, bytes, written, bytes.length - written);
        if (!(n > 0)) throw new Error(`the disk took ${n} bytes of a write`);
        written += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(
      `${path}: could not write it (${written} of ${bytes.length} bytes written: ${reasonOf(e)}); the previous file, if any, is kept`,
    );
  }
  // The rename itself is durable once the directory is flushed (not possible on every file system).
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {}
}
