// Reading a model file that anyone with write access to the models folder may have put there: its kind and
// size are checked before a byte is read (a FIFO or a device is never waited on, a file over the limit is
// never read), and the reading and the checking (the protobuf parse, seconds for a large file) happen in a
// worker thread of their own that ends with the load, so a large or crafted file neither stalls the thread
// that answers requests nor leaves its memory behind. Only the bytes of a valid model come back.
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ModelMetadata } from './metadata.js';
import { ModelFileError } from './validate.js';

/** The largest model file read unless told otherwise: far above any model indrnn exports (well under 10 MB). */
export const DEFAULT_MAX_MODEL_BYTES = 256 * 1024 * 1024;

const MIB = 1024 * 1024;

/** What a path that is not a regular file is, for the error. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}

/** Throws when `st` is not a regular file of at most maxBytes. */
export function checkModelStats(st: Stats, path: string, maxBytes: number): void {
  if (!st.isFile()) throw new ModelFileError(path, `${kindOf(st)}, not a regular file`);
  if (st.size > maxBytes) {
    throw new ModelFileError(
      path,
      `${st.size} bytes (${(st.size / MIB).toFixed(1)} MiB), more than the ${maxBytes} bytes (${(maxBytes / MIB).toFixed(1)} MiB) a model file may have; not read (indrnn serve --max-model-bytes sets the limit)`,
    );
  }
}

const cannotRead = (path: string, e: unknown) =>
  new ModelFileError(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);

/**
 * The file's bytes, at most maxBytes: opened without waiting (a FIFO would block a thread until someone
 * writes to it), checked by the opened file's own stat (a file swapped after a first check is checked
 * again), and read up to the size that stat gave, even if the file grows meanwhile.
 */
export async function readModelFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: unknown) => {
    throw cannotRead(path, e);
  });
  try {
    const st = await handle.stat();
    checkModelStats(st, path, maxBytes);
    const bytes = new Uint8Array(st.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) break; // cut short while being read: what is there is checked (and a rescan sees the change)
      at += bytesRead;
    }
    return at === bytes.length ? bytes : bytes.slice(0, at);
  } catch (e) {
    throw e instanceof ModelFileError ? e : cannotRead(path, e);
  } finally {
    await handle.close();
  }
}

/** One check asked of the worker (src/onnx/model-file-worker.ts), and its answer. */
export interface ModelFileJob {
  id: number;
  path: string;
  maxBytes: number;
}
export type ModelFileAnswer = { id: number } & (
  | { kind: 'valid'; bytes: Uint8Array; metadata: ModelMetadata }
  | { kind: 'invalid'; problem: string }
);

const WORKER_URL = new URL('./model-file-worker.js', import.meta.url);
/** The checking thread ends this long after its last check, and its memory with it. */
const IDLE_MS = 1000;

interface Checking {
  resolve: (a: ModelFileAnswer) => void;
  reject: (e: Error) => void;
}

/**
 * The thread that checks model files, started on demand and shared by the loads close together (a rescan
 * loads its files one after the other; starting a thread costs ~0.1 s). It keeps the process alive only
 * while a check is under way, and ends IDLE_MS after the last one.
 */
class ModelFileChecker {
  private worker: Worker | null = null;
  private readonly checking = new Map<number, Checking>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  check(path: string, maxBytes: number): Promise<ModelFileAnswer> {
    clearTimeout(this.idleTimer);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const job: ModelFileJob = { id, path, maxBytes };
    worker.ref();
    return new Promise<ModelFileAnswer>((resolve, reject) => {
      this.checking.set(id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    // None of the process's own node flags: they are not this thread's (--input-type, for one, stops it).
    const worker = new Worker(WORKER_URL, { execArgv: [] });
    this.worker = worker;
    worker.on('message', (answer: ModelFileAnswer) => {
      this.checking.get(answer.id)?.resolve(answer);
      this.checking.delete(answer.id);
      this.settled();
    });
    const lost = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const c of this.checking.values()) c.reject(e);
      this.checking.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the thread checking it exited (code ${code})`)));
    return worker;
  }

  private settled(): void {
    if (this.checking.size > 0 || !this.worker) return;
    const worker = this.worker;
    worker.unref();
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.checking.size > 0) return;
      this.worker = null;
      void worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

const checker = new ModelFileChecker();

/**
 * The bytes of a valid model file and its metadata, read and checked in a worker thread (validateModelBytes'
 * errors, or the kind and size above). The kind and size are checked here first, so that a file over the
 * limit costs one stat and no thread.
 */
export async function readValidModelFile(
  path: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; metadata: ModelMetadata }> {
  checkModelStats(await stat(path).catch((e: unknown) => Promise.reject(cannotRead(path, e))), path, maxBytes);
  let answer: ModelFileAnswer;
  try {
    answer = await checker.check(path, maxBytes);
  } catch (e) {
    throw new ModelFileError(path, `cannot be checked: ${(e as Error).message}`);
  }
  if (answer.kind === 'invalid') throw new ModelFileError(path, answer.problem);
  return answer;
}
