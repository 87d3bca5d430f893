// An onnxruntime session on the execution provider chosen: CUDA when asked or available, CPU otherwise
// (the fallback is told why). Used by the model in this thread and by each session worker in its own.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelFileError } from './validate.js';

export type ProviderChoice = 'auto' | 'cuda' | 'cpu';
export type Provider = 'cuda' | 'cpu';

export interface SessionOptions {
  provider?: ProviderChoice;
  threads?: number;
  /** Told why CUDA was not used when provider is 'auto'. */
  onFallback?: (reason: string) => void;
}

function sessionOptions(provider: Provider, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/**
 * Where onnxruntime-node loads its CUDA provider from: beside its native binding. The npm package does not
 * ship it, and listSupportedBackends() reports cuda with `bundled: false` whether it is installed or not;
 * `npm run install-cuda` (onnxruntime-node's install script, which .npmrc skips) downloads it there.
 */
export function cudaProviderLibrary(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch, file);
}

/** Why onnxruntime cannot use CUDA here, or null when its CUDA provider is installed. */
export function cudaUnavailableReason(): string | null {
  const cuda = ort.listSupportedBackends().find((b) => b.name === 'cuda');
  if (!cuda) return 'this onnxruntime-node build has no CUDA execution provider';
  const lib = cudaProviderLibrary();
  if (!existsSync(lib)) {
    return `CUDA provider libraries are not installed (no ${lib}; install them with npm run install-cuda)`;
  }
  return null;
}

function sessionThreads(threads: number | undefined): number {
  return threads && threads > 0 ? threads : availableParallelism();
}

/** The session in this thread, on the provider chosen. */
export async function createSession(
  bytes: Uint8Array,
  path: string,
  opts: SessionOptions,
): Promise<{ session: ort.InferenceSession; provider: Provider }> {
  const choice = opts.provider ?? 'auto';
  const threads = sessionThreads(opts.threads);
  if (choice !== 'cpu') {
    const reason = cudaUnavailableReason();
    if (reason === null) {
      try {
        return { session: await ort.InferenceSession.create(bytes, sessionOptions('cuda', threads)), provider: 'cuda' };
      } catch (e) {
        if (choice === 'cuda') throw new ModelFileError(path, `cannot run on CUDA: ${(e as Error).message}`);
        opts.onFallback?.(`CUDA session failed: ${(e as Error).message}`);
      }
    } else if (choice === 'cuda') {
      throw new ModelFileError(path, `--device cuda asked for, but ${reason}`);
    } else {
      opts.onFallback?.(reason);
    }
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, sessionOptions('cpu', threads)), provider: 'cpu' };
  } catch (e) {
    throw new ModelFileError(path, `onnxruntime cannot load it: ${(e as Error).message}`);
  }
}
