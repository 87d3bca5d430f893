// The model registry: every valid model file in the model directory, loaded once at start, each with
// its input description and its batcher. A corrupt or mismatching file is reported by name and skipped;
// a directory without one valid model is a startup error that says what to do.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IndrnnModel, type ProviderChoice } from '../onnx/model.js';
import { type InputSpec, inputSpecOf } from '../predict/input.js';
import { Batcher, type BatchObserver, type BatchOptions, DEFAULT_BATCH } from './batcher.js';
import { describeModel, type ModelInfo } from './model-info.js';

export interface ServedModel {
  readonly name: string;
  readonly file: string;
  readonly model: IndrnnModel;
  readonly input: InputSpec;
  readonly info: ModelInfo;
  readonly batcher: Batcher;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface RegistryOptions {
  device?: ProviderChoice;
  threads?: number;
  batch?: BatchOptions;
  /** Per-model observer for batch sizes, inference time and queue wait (metrics). */
  observe?: (model: IndrnnModel) => BatchObserver;
  /** Told about each model load, skip and CUDA fallback (the logger). */
  onEvent?: (event: RegistryEvent) => void;
}

export type RegistryEvent =
  | { kind: 'loaded'; name: string; version: string; file: string; provider: string; ms: number }
  | { kind: 'skipped'; file: string; reason: string }
  | { kind: 'fallback'; file: string; reason: string };

export class StartupError extends Error {}

/** 'file', or what else the path is (a FIFO, a directory ...), following symbolic links. */
function fileKind(path: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    return `cannot be read (${(e as Error).message})`;
  }
  if (st.isFile()) return 'file';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  return 'a device';
}

export class ModelRegistry {
  private readonly byName = new Map<string, ServedModel>();

  private constructor(readonly skipped: readonly SkippedFile[]) {}

  /** Loads every *.onnx file in `dir`; throws StartupError when none is valid. */
  static async load(dir: string, opts: RegistryOptions = {}): Promise<ModelRegistry> {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new StartupError(
        `model directory '${dir}' does not exist; export a model there with \`indrnn export\` or pass --models DIR`,
      );
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.onnx'))
      .sort();
    const skipped: SkippedFile[] = [];
    const loaded: ServedModel[] = [];
    const skip = (file: string, reason: string) => {
      skipped.push({ file, reason });
      opts.onEvent?.({ kind: 'skipped', file, reason });
    };
    for (const f of files) {
      const file = join(dir, f);
      const t0 = performance.now();
      // Reading a FIFO (or a device) would block start-up until someone writes to it.
      const kind = fileKind(file);
      if (kind !== 'file') {
        skip(file, `${file}: ${kind}, not a regular file`);
        continue;
      }
      let model: IndrnnModel;
      try {
        model = await IndrnnModel.load(file, {
          provider: opts.device ?? 'auto',
          threads: opts.threads,
          onFallback: (reason) => opts.onEvent?.({ kind: 'fallback', file, reason }),
        });
      } catch (e) {
        // --device cuda without CUDA is not one bad file but the wrong machine: stop.
        if (opts.device === 'cuda' && /CUDA/.test((e as Error).message)) throw new StartupError((e as Error).message);
        skip(file, (e as Error).message);
        continue;
      }
      let input: InputSpec;
      try {
        input = inputSpecOf(model.metadata);
      } catch (e) {
        await model.release();
        skip(file, `${file}: ${(e as Error).message}`);
        continue;
      }
      const name = model.metadata.name;
      const twin = loaded.find((s) => s.name === name);
      if (twin) {
        await model.release();
        skip(
          file,
          `${file}: model name '${name}' is already served from ${twin.file}; give one of them another --name at export`,
        );
        continue;
      }
      const batcher = new Batcher(model, opts.batch ?? DEFAULT_BATCH, opts.observe?.(model));
      loaded.push({ name, file, model, input, info: describeModel(file, model, input), batcher });
      opts.onEvent?.({
        kind: 'loaded',
        name,
        version: model.metadata.version,
        file,
        provider: model.provider,
        ms: performance.now() - t0,
      });
    }
    if (loaded.length === 0) {
      const why = skipped.length ? `:\n${skipped.map((s) => `  ${s.reason}`).join('\n')}` : ' (no .onnx files)';
      throw new StartupError(
        `no valid model in '${dir}'${why}\nexport one with \`indrnn export --checkpoint RUN/checkpoint.safetensors --out ${dir}/NAME.onnx\``,
      );
    }
    const registry = new ModelRegistry(skipped);
    for (const s of loaded) registry.byName.set(s.name, s);
    return registry;
  }

  get(name: string): ServedModel | undefined {
    return this.byName.get(name);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  list(): ServedModel[] {
    return [...this.byName.values()];
  }

  /**
   * Waits for queued and running work (at most `timeoutMs`), then frees the sessions. Returns false when
   * work was still going at the deadline: the sessions are then left to the process's exit, as freeing
   * one under a running model is not safe.
   */
  async close(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.list().map((s) => s.batcher.drain())).then(() => true);
    const deadline = new Promise<boolean>((resolve) => {
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (done) await Promise.all(this.list().map((s) => s.model.release()));
    this.byName.clear();
    return done;
  }
}
