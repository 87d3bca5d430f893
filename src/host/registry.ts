// The model registry: the models in the model directory by name and version, each with its input
// description and its batcher. Two layouts side by side: flat files `DIR/*.onnx` (name and version from the
// file's metadata) and Triton's `DIR/<name>/<version>/model.onnx` (the directory names are the name and the
// version). Several versions of a name are served; the highest is the default. refresh() rescans: new and
// changed files load, removed ones retire (freed once their queued work and their streams are done), and a
// changed file that fails to load leaves its previous model serving. A corrupt, mismatching or too large
// file, or a model whose name or version breaks the name rule (model-name.ts), is reported by name and
// skipped; a directory without one valid model at start is a StartupError that says what to do. `--models`
// may also name one .onnx file: it alone is served (and reloaded when it changes). Reasons name files
// relative to the directory (they reach API answers); the events carry the full path.
import { existsSync, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { IndrnnModel } from '../onnx/model.js';
import type { RunnerKind } from '../onnx/runner.js';
import type { ProviderChoice } from '../onnx/session.js';
import { ModelFileError } from '../onnx/validate.js';
import { inputSpecOf } from '../predict/input.js';
import type { InputSpec } from '../predict/input-spec.js';
import { Batcher, type BatchObserver, type BatchOptions, DEFAULT_BATCH } from './batcher.js';
import { describeModel, type ModelInfo } from './model-info.js';
import { MODEL_NAME, modelNameProblem } from './model-name.js';

/** The file of one version in the Triton layout. */
const LAYOUT_FILE = 'model.onnx';

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface RegistryOptions {
  device?: ProviderChoice;
  threads?: number;
  /** Where each model's session runs: this thread (default) or a worker thread per model (src/onnx/runner.ts). */
  runner?: RunnerKind;
  /** With runner 'worker': worker threads (sessions) per model (default 1; src/onnx/worker-pool.ts). */
  workers?: number;
  /** The largest model file read (default DEFAULT_MAX_MODEL_BYTES); a larger one is skipped unread. */
  maxModelBytes?: number;
  batch?: BatchOptions;
  /** Per-model observer for batch sizes, inference time and queue wait (metrics). */
  observe?: (model: IndrnnModel) => BatchObserver;
  /** Told about each model load, skip, retirement and CUDA fallback (the logger, the metrics). */
  onEvent?: (event: RegistryEvent) => void;
}

export type RegistryEvent =
  | { kind: 'loaded'; name: string; version: string; file: string; provider: string; runner: string; ms: number }
  | { kind: 'skipped'; file: string; reason: string }
  | {
      kind: 'retired';
      name: string;
      version: string;
      file: string;
      why: 'removed' | 'changed' | 'unloaded';
      /** Another file now serves the same name and version. */
      replaced: boolean;
    }
  | { kind: 'fallback'; file: string; reason: string }
  /** A model's worker thread (--model-runner worker) died: its run in flight failed; it is started again. */
  | { kind: 'worker-lost'; name: string; version: string; file: string; reason: string };

/** One row of the KServe model repository index. */
export interface RepositoryEntry {
  name: string;
  version?: string;
  state: 'READY' | 'UNAVAILABLE';
  reason: string;
}

export class StartupError extends Error {}

/** A directory, following symbolic links. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Size, modification time and inode: a file replaced or rewritten gets another. */
export function fingerprint(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'unreadable';
  }
}

/** Numeric versions compare as numbers; others as text with embedded numbers ("v2" < "v10"). */
export function compareVersions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a.localeCompare(b, 'en', { numeric: true });
}

/** A model file found by a scan; `name`/`version` are set in the Triton layout (from the directories). */
interface Candidate {
  file: string;
  fingerprint: string;
  name?: string;
  version?: string;
}

/** Every model file in `dir`: flat *.onnx files and DIR/<name>/<version>/model.onnx. */
function scan(dir: string): Candidate[] {
  const found: Candidate[] = [];
  const list = (path: string) => {
    try {
      return readdirSync(path).sort();
    } catch {
      return [];
    }
  };
  for (const entry of list(dir)) {
    const path = join(dir, entry);
    if (entry.endsWith('.onnx')) {
      found.push({ file: path, fingerprint: fingerprint(path) });
    } else if (MODEL_NAME.test(entry) && isDirectory(path)) {
      for (const version of list(path)) {
        const file = join(path, version, LAYOUT_FILE);
        if (/^\d{1,18}$/.test(version) && existsSync(file))
          found.push({ file, fingerprint: fingerprint(file), name: entry, version });
      }
    }
  }
  return found;
}

/** The one model file served when `--models` names a file (none while it is gone). */
function scanFile(file: string): Candidate[] {
  return existsSync(file) ? [{ file, fingerprint: fingerprint(file) }] : [];
}

/** The input a loaded model takes, or why it cannot be served: a name or version against the rule, bad input metadata. */
function servable(metadata: IndrnnModel['metadata']): InputSpec | string {
  const badName = modelNameProblem(metadata.name, metadata.version);
  if (badName !== null) return `${badName}; export it again with another --name or --version`;
  try {
    return inputSpecOf(metadata);
  } catch (e) {
    return (e as Error).message;
  }
}

/** A model served: its file, its input description and its batcher. */
export class ServedModel {
  private leases = 0;
  private leaseWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly version: string,
    readonly file: string,
    /** The file's size, modification time and inode when the model was loaded from it (`fingerprint(file)`). */
    readonly fingerprint: string,
    readonly model: IndrnnModel,
    readonly input: InputSpec,
    readonly info: ModelInfo,
    readonly batcher: Batcher,
  ) {}

  /**
   * Held by a stream for its life (call the returned function when it ends): a model replaced by a reload
   * is freed only once no lease is held, so a stream keeps the version it started with.
   */
  lease(): () => void {
    this.leases++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.leases === 0) for (const w of this.leaseWaiters.splice(0)) w();
    };
  }

  /** Resolves once no lease is held and nothing is queued or running. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.leases > 0) await new Promise<void>((resolve) => this.leaseWaiters.push(resolve));
      await this.batcher.drain();
      if (this.leases === 0) return;
    }
  }
}

/** A file that did not load, remembered with its fingerprint so that a rescan does not retry it unchanged. */
interface Failure {
  fingerprint: string;
  reason: string;
  /** The Triton layout's name, or the flat file's name without .onnx. */
  name: string;
  version?: string;
  /** Skipped as a duplicate of this file: retried when that one goes or changes. */
  twinOf?: string;
}

export interface WatchOptions {
  /** 'watch': file system events (inotify); 'poll': rescan every pollMs. */
  mode: 'watch' | 'poll';
  pollMs?: number;
  /** Quiet time after the last event before the rescan (a copy in progress sends many). */
  debounceMs?: number;
  /** A rescan that threw (logged by the caller). */
  onError?: (err: unknown) => void;
}

export class ModelRegistry {
  /** name -> version -> model. Replaced as a whole by a refresh, so a lookup never sees half of one. */
  private table = new Map<string, Map<string, ServedModel>>();
  private failures = new Map<string, Failure>();
  /** Names unloaded through the repository API: rescans leave them out until they are loaded again. */
  private readonly unloaded = new Set<string>();
  /** Replaced or unloaded models not yet freed (work or streams still on them). */
  private readonly retiring = new Set<Promise<void>>();
  /** Refreshes run one at a time, in order. */
  private chain: Promise<unknown> = Promise.resolve();
  private stopWatching: (() => void) | null = null;
  private closed = false;
  /** The files of the last scan that are not served, with the reason. */
  skipped: readonly SkippedFile[] = [];

  /**
   * @param dir the model directory (of `only`, when one file is served)
   * @param only the one model file served, when `--models` names a file
   */
  private constructor(
    readonly dir: string,
    private readonly opts: RegistryOptions,
    private readonly only?: string,
  ) {}

  /** Loads every model in `path` (a directory, or one model file); throws StartupError when none is valid. */
  static async load(path: string, opts: RegistryOptions = {}): Promise<ModelRegistry> {
    if (!existsSync(path)) {
      throw new StartupError(
        `model directory or file '${path}' does not exist; export a model there with \`indrnn export\` or pass --models DIR (or --models FILE.onnx)`,
      );
    }
    const registry = isDirectory(path) ? new ModelRegistry(path, opts) : new ModelRegistry(dirname(path), opts, path);
    await registry.refresh();
    if (registry.table.size === 0) {
      const why = registry.skipped.length
        ? `:\n${registry.skipped.map((s) => `  ${s.reason}`).join('\n')}`
        : ' (no .onnx files)';
      const out = registry.only ?? `${path}/NAME.onnx`;
      throw new StartupError(
        `no valid model in '${path}'${why}\nexport one with \`indrnn export --checkpoint RUN/checkpoint.safetensors --out ${out}\``,
      );
    }
    return registry;
  }

  /** The named model at `version`, or its latest version. */
  get(name: string, version?: string): ServedModel | undefined {
    const versions = this.table.get(name);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    let latest: ServedModel | undefined;
    for (const s of versions.values()) if (!latest || compareVersions(s.version, latest.version) > 0) latest = s;
    return latest;
  }

  /** The served versions of `name`, oldest first. */
  versions(name: string): string[] {
    return [...(this.table.get(name)?.keys() ?? [])].sort(compareVersions);
  }

  get names(): string[] {
    return [...this.table.keys()].sort();
  }

  /** The latest version of every name. */
  list(): ServedModel[] {
    return this.names.map((n) => this.get(n) as ServedModel);
  }

  /** Every served version of every name. */
  all(): ServedModel[] {
    return [...this.table.values()].flatMap((v) => [...v.values()]);
  }

  /** Every model file known, served or not, for POST /v2/repository/index. */
  index(): RepositoryEntry[] {
    const rows: RepositoryEntry[] = this.all().map((s) => ({
      name: s.name,
      version: s.version,
      state: 'READY',
      reason: '',
    }));
    for (const name of this.unloaded) rows.push({ name, state: 'UNAVAILABLE', reason: 'unloaded' });
    for (const f of this.failures.values()) {
      if (!this.unloaded.has(f.name) && !rows.some((r) => r.name === f.name && r.version === f.version))
        rows.push({
          name: f.name,
          ...(f.version ? { version: f.version } : {}),
          state: 'UNAVAILABLE',
          reason: f.reason,
        });
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version ?? '', b.version ?? ''));
  }

  /** Rescans the directory: loads new and changed files, retires removed ones. */
  refresh(): Promise<void> {
    return this.serialized(() => this.rescan());
  }

  /**
   * Loads `name` again from its files (even unchanged ones) and serves it, also after an unload. Resolves
   * with the versions now served and, when some of its files did not load, why (a version that was served
   * before keeps serving); `known` is false when no file holds a model of that name.
   */
  loadModel(name: string): Promise<{ versions: string[]; reason?: string; known: boolean }> {
    return this.serialized(async () => {
      this.unloaded.delete(name);
      await this.rescan(name);
      const versions = this.versions(name);
      const failed = [...this.failures.values()].filter((f) => f.name === name).map((f) => f.reason);
      const reason = failed.length > 0 ? failed.join('; ') : undefined;
      return { versions, known: versions.length > 0 || failed.length > 0, reason };
    });
  }

  /** Stops serving `name` (every version) until loadModel; false when it was not served. */
  unloadModel(name: string): Promise<boolean> {
    return this.serialized(async () => {
      if (!this.table.has(name)) return false;
      this.unloaded.add(name);
      await this.rescan();
      return true;
    });
  }

  /** Rescans on every change in the directory ('watch') or every pollMs ('poll'); returns the stop function. */
  watch({ mode, pollMs = 2000, debounceMs = 250, onError }: WatchOptions): () => void {
    this.stopWatching?.();
    const rescan = () => {
      if (!this.closed) this.refresh().catch((e: unknown) => onError?.(e));
    };
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    let poll: NodeJS.Timeout | undefined;
    const startPolling = () => {
      poll = setInterval(rescan, pollMs);
      poll.unref();
    };
    if (mode === 'watch') {
      try {
        // One file: its directory, whose events also catch the file replaced by a rename.
        watcher = watch(this.dir, { recursive: !this.only, persistent: false }, () => {
          clearTimeout(timer);
          timer = setTimeout(rescan, debounceMs);
          timer.unref();
        });
        watcher.on('error', (e) => {
          onError?.(e);
          watcher?.close();
          watcher = undefined;
          if (!poll) startPolling(); // the directory went away or inotify ran out: fall back to polling
        });
      } catch (e) {
        onError?.(e);
        startPolling();
      }
    } else startPolling();
    this.stopWatching = () => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
      this.stopWatching = null;
    };
    return this.stopWatching;
  }

  /**
   * Waits for queued and running work (at most `timeoutMs`), then frees the sessions. Returns false when
   * work was still going at the deadline: the sessions are then left to the process's exit, as freeing
   * one under a running model is not safe.
   */
  async close(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.closed = true;
    this.stopWatching?.();
    await this.chain.catch(() => {});
    const served = this.all();
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all([...served.map((s) => s.batcher.drain()), ...this.retiring]).then(() => true);
    const deadline = new Promise<boolean>((resolve) => {
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (done) await Promise.all(served.map((s) => s.model.release()));
    this.table = new Map();
    return done;
  }

  private serialized<R>(job: () => Promise<R>): Promise<R> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => {});
    return run;
  }

  /** One rescan; `force`: load this name's files again even when unchanged. */
  private async rescan(force?: string): Promise<void> {
    if (this.closed) return;
    const { opts } = this;
    const current = new Map<string, ServedModel>();
    for (const s of this.all()) current.set(s.file, s);
    const next = new Map<string, Map<string, ServedModel>>();
    const failures = new Map<string, Failure>();
    const skipped: SkippedFile[] = [];
    const skip = (file: string, reason: string, failure: Omit<Failure, 'reason'> | null, quiet = false) => {
      skipped.push({ file, reason });
      if (failure) failures.set(file, { ...failure, reason });
      if (!quiet) opts.onEvent?.({ kind: 'skipped', file, reason });
    };
    const slot = (s: ServedModel): ServedModel | undefined => next.get(s.name)?.get(s.version);
    const place = (s: ServedModel) => {
      const versions = next.get(s.name) ?? new Map<string, ServedModel>();
      next.set(s.name, versions);
      versions.set(s.version, s);
    };
    const candidates = this.only ? scanFile(this.only) : scan(this.dir);
    const unchanged = new Set(
      candidates.filter((c) => current.get(c.file)?.fingerprint === c.fingerprint).map((c) => c.file),
    );
    const toLoad: Candidate[] = [];
    // Unchanged models keep their place first, so that a new file cannot take a served name and version.
    for (const c of candidates) {
      const was = current.get(c.file);
      const name = c.name ?? was?.name ?? this.failures.get(c.file)?.name;
      if (name !== undefined && this.unloaded.has(name)) continue;
      if (was && was.fingerprint === c.fingerprint && name !== force) place(was);
      else {
        const failed = this.failures.get(c.file);
        const blocked = failed?.twinOf === undefined || unchanged.has(failed.twinOf);
        if (failed && failed.fingerprint === c.fingerprint && blocked && name !== force)
          skip(c.file, failed.reason, failed, true);
        else toLoad.push(c);
      }
    }
    for (const c of toLoad) {
      const was = current.get(c.file);
      const fallbackName = c.name ?? basename(c.file, '.onnx');
      const failure = { fingerprint: c.fingerprint, name: fallbackName, version: c.version };
      const loaded = await this.loadFile(c);
      if (typeof loaded === 'string') {
        skip(c.file, loaded, failure);
        // A changed file that does not load (a copy in progress?): the model it held keeps serving.
        if (was && !slot(was)) place(was);
        continue;
      }
      const result = loaded.served;
      if (this.unloaded.has(result.name)) {
        await result.model.release();
        continue;
      }
      const twin = slot(result);
      if (twin) {
        await result.model.release();
        skip(
          c.file,
          `${this.shown(c.file)}: model '${result.name}' version '${result.version}' is already served from ${this.shown(twin.file)}; give one of them another --name or --version at export`,
          { ...failure, name: result.name, version: result.version, twinOf: twin.file },
        );
        continue;
      }
      place(result);
      opts.onEvent?.({
        kind: 'loaded',
        name: result.name,
        version: result.version,
        file: c.file,
        provider: result.model.provider,
        runner: result.model.runnerKind,
        ms: loaded.ms,
      });
    }
    const kept = new Set<ServedModel>();
    for (const versions of next.values()) for (const s of versions.values()) kept.add(s);
    this.table = next;
    this.failures = failures;
    this.skipped = skipped;
    const files = new Set(candidates.map((c) => c.file));
    for (const s of current.values()) {
      if (kept.has(s)) continue;
      const why = this.unloaded.has(s.name) ? 'unloaded' : files.has(s.file) ? 'changed' : 'removed';
      this.retire(s, why, next.get(s.name)?.has(s.version) ?? false);
    }
  }

  /** Out of the table already: freed once its queued work and its streams are done. */
  private retire(s: ServedModel, why: 'removed' | 'changed' | 'unloaded', replaced: boolean): void {
    this.opts.onEvent?.({ kind: 'retired', name: s.name, version: s.version, file: s.file, why, replaced });
    const freed: Promise<void> = s
      .idle()
      .then(() => s.model.release())
      .catch(() => {})
      .finally(() => this.retiring.delete(freed));
    this.retiring.add(freed);
  }

  /** A file as reasons name it: relative to the model directory (reasons reach API answers). */
  private shown(file: string): string {
    return relative(this.dir, file);
  }

  /** The model in one file, or why it cannot be served. */
  private async loadFile(c: Candidate): Promise<{ served: ServedModel; ms: number } | string> {
    const { opts } = this;
    const { file } = c;
    const t0 = performance.now();
    let model: IndrnnModel;
    try {
      model = await IndrnnModel.load(file, {
        provider: opts.device ?? 'auto',
        threads: opts.threads,
        runner: opts.runner,
        workers: opts.workers,
        maxBytes: opts.maxModelBytes,
        onFallback: (reason) => opts.onEvent?.({ kind: 'fallback', file, reason }),
        onWorkerLost: (reason) => {
          const { name, version } = model.metadata; // named after its directories in a Triton layout
          opts.onEvent?.({ kind: 'worker-lost', name, version, file, reason });
        },
      });
    } catch (e) {
      const { message } = e as Error;
      // --device cuda without CUDA is not one bad file but the wrong machine: stop.
      if (opts.device === 'cuda' && /CUDA/.test(message)) throw new StartupError(message);
      if (e instanceof ModelFileError) return `${this.shown(file)}: ${e.problem}`;
      return message.replaceAll(file, this.shown(file));
    }
    // The Triton layout's directories name the model and its version, whatever the file's metadata says.
    if (c.name !== undefined && c.version !== undefined)
      Object.assign(model.metadata, { name: c.name, version: c.version });
    const { name, version } = model.metadata;
    const input = servable(model.metadata);
    if (typeof input === 'string') {
      await model.release();
      return `${this.shown(file)}: ${input}`;
    }
    const batcher = new Batcher(model, opts.batch ?? DEFAULT_BATCH, opts.observe?.(model));
    const info = describeModel(this.shown(file), model, input);
    const served = new ServedModel(name, version, file, c.fingerprint, model, input, info, batcher);
    return { served, ms: performance.now() - t0 };
  }
}
