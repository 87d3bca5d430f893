// A model's plots: SVG files beside its .onnx file, named after it. models/nucla.onnx has its training
// curves in models/nucla-curves.svg and its confusion matrix on the held-out set in models/nucla-confusion.svg
// (Triton's layout: DIR/<name>/<version>/model.onnx -> model-curves.svg beside it). `indrnn export` copies a
// run's plots there, the model-card scripts write them, GET /v1/models/{name}/plots reads them (the live page
// shows them with the model's card). Read when asked: plots added after the model loaded are served too.
import { readFile, stat } from 'node:fs/promises';

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

/** The plots present beside `path` (the model's file; `file` is its name relative to the model directory). */
export async function readModelPlots(path: string, file: string): Promise<ModelPlot[]> {
  const plots: ModelPlot[] = [];
  for (const kind of PLOT_KINDS) {
    const name = plotFile(file, kind);
    let size: number;
    try {
      const st = await stat(plotFile(path, kind));
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue; // none: most models have no plots
    }
    if (size > MAX_PLOT_BYTES) {
      plots.push({
        kind,
        file: name,
        svg: null,
        problem: `${name} has ${size} bytes, at most ${MAX_PLOT_BYTES} are read`,
      });
      continue;
    }
    let text: string;
    try {
      text = (await readFile(plotFile(path, kind))).subarray(0, MAX_PLOT_BYTES).toString('utf8');
    } catch (e) {
      plots.push({
        kind,
        file: name,
        svg: null,
        problem: `${name}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      });
      continue;
    }
    plots.push(
      /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)
        ? { kind, file: name, svg: text }
        : { kind, file: name, svg: null, problem: `${name} is not an SVG document (it does not start with <svg)` },
    );
  }
  return plots;
}
