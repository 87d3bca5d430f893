// GET /v1/models/{name}/plots: the SVG plots beside a model's file (src/host/model-plots.ts), for the live
// page's model card.
import { z } from 'zod';
import { PLOT_KINDS } from '../host/model-plots.js';

export const modelPlotSchema = z.object({
  kind: z.enum(PLOT_KINDS).meta({
    description:
      "'curves': training loss and the evaluated metric per evaluation; 'confusion': the confusion matrix on the held-out set",
  }),
  file: z.string().meta({ description: 'the SVG file, relative to the model directory' }),
  svg: z.string().nullable().meta({ description: 'the SVG document; null when it cannot be shown (see problem)' }),
  problem: z.string().optional().meta({ description: 'why the file is not shown (too large, not SVG, unreadable)' }),
});
export const modelPlotsSchema = z.object({
  model: z.string(),
  version: z.string(),
  plots: z.array(modelPlotSchema).meta({ description: 'the plots present beside the model file; [] when none' }),
});
export type ModelPlots = z.infer<typeof modelPlotsSchema>;
