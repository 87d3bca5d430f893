// A model's plots: SVG files beside its .onnx file, named after it. models/nucla.onnx has its training
// curves in models/nucla-curves.svg and its confusion matrix on the held-out set in models/nucla-confusion.svg
// (Triton's layout: DIR/<name>/<version>/model.onnx -> model-curves.svg beside it). `indrnn export` copies a
// run's plots there, the model-card scripts write them, GET /v1/models/{name}/plots reads them (the live page
// shows them with the model's card). Read when asked: plots added after the model loaded are served too.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

export const PLOT_KINDS = ['curves', 'confusion'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

/** A plot larger than this is not read (its entry says so). */
export const MAX_PLOT_BYTES = 1024 * 1024;

/** The plot's file beside a model file: `x.onnx` -> `x-curves.svg`. */
export function plotFile(modelFile: string, kind: PlotKind): string {
  return `${modelFile.replace(/\.onnx$/i, '')}-${kind}.svg`;
}

export interface ModelPlot {
  kind: PlotKind;
  /** Relative to the model directory, as the model's `file`. */
  file: string;
  /** The SVG document, or null when it cannot be shown (then `problem` says why). */
  svg: string | null;
  problem?: string;
}

/**
 * A plot file's bytes, at most `limit` + 1 of them (one more than allowed says it is too large); null when
 * there is no such file. Opened without blocking (a FIFO in its place does not hold the request); a file that
 * grows while it is read is reported, not cut short.
 */
async function readAtMost(path: string, limit: number): Promise<Buffer | null> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await file.stat();
    if (!st.isFile()) return null;
    const buffer = Buffer.alloc(Math.min(st.size, limit) + 1);
    let got = 0;
    while (got < buffer.length) {
      const { bytesRead } = await file.read(buffer, got, buffer.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > st.size) throw Object.assign(new Error('it grew while it was read'), { code: 'changed while read' });
    return buffer.subarray(0, got);
  } finally {
    await file.close();
  }
}

/** The plots present beside `path` (the model's file; `file` is its name relative to the model directory). */
export async function readModelPlots(path: string, file: string): Promise<ModelPlot[]> {
  const plots: ModelPlot[] = [];
  for (const kind of PLOT_KINDS) {
    const name = plotFile(file, kind);
    const no = (problem: string) => plots.push({ kind, file: name, svg: null, problem });
    let bytes: Buffer | null;
    try {
      bytes = await readAtMost(plotFile(path, kind), MAX_PLOT_BYTES);
    } catch (e) {
      no(`${name}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      continue;
    }
    if (bytes === null) continue; // none: most models have no plots
    if (bytes.length > MAX_PLOT_BYTES) {
      no(`${name} has more than ${MAX_PLOT_BYTES} bytes, the most that is read`);
      continue;
    }
    const text = bytes.toString('utf8');
    if (/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)) plots.push({ kind, file: name, svg: text });
    else no(`${name} is not an SVG document (it does not start with <svg)`);
  }
  return plots;
}
