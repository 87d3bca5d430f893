// Files that must never be half-written (checkpoints, exported models, run summaries): the bytes go to a
// temporary file beside the target, every byte counted (writeSync may write fewer than asked: a full disk,
// `ulimit -f`), flushed to disk (fsync), and only then renamed over the target. Any failure removes the
// temporary file, keeps the previous target and throws with the path and the reason.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** For tests: replaces writeSync, to inject short writes and errors. */
export type WriteFn = (fd: number, bytes: Uint8Array, offset: number, length: number) => number;

const defaultWrite: WriteFn = (fd, bytes, offset, length) => writeSync(fd, bytes, offset, length);

const reasonOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Writes `bytes` to `path` atomically; throws "path: could not write ... (reason); the previous file is kept". */
export function writeFileAtomic(path: string, bytes: Uint8Array, write: WriteFn = defaultWrite): void {
  const tmp = `${path}.tmp-${process.pid}`;
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
