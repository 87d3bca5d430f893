// The bodies of the training-job routes (docs/api.md "Training jobs"). The samples are checked one by one
// with the trainer's own reader (src/host/job-request.ts), so that an error names the element
// ("samples[3].frames[10][2]"); here they are objects.
import { z } from 'zod';

export const jobRequestSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(128)
    .meta({ description: 'the model to make: a new model, or the next version of a served one' }),
  base: z.string().min(1).max(128).optional().meta({
    description:
      'a served model to start from: its layout and sampling (and its weights, where the trainer has --init)',
  }),
  samples: z.array(z.record(z.string(), z.unknown())).min(2).meta({
    description:
      'takes in the JSON Lines user format (docs/data.md): {"label", "layout", "fps", "frames"}; a take without a label is "nothing" and trains the background class "no action"',
  }),
  epochs: z.number().int().min(1).optional().meta({ description: 'passes over the takes (default 40)' }),
});

export const jobStateSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);

export const jobSchema = z.object({
  id: z.string(),
  name: z.string(),
  base: z.string().optional(),
  state: jobStateSchema,
  progress: z.number().min(0).max(1),
  eta: z.number().nullable().meta({ description: 'seconds left, estimated; null while unknown or once finished' }),
  stage: z.enum(['build', 'train', 'export', 'load']).optional(),
  epochs: z.number().int(),
  samples: z.number().int(),
  frames: z.number().int(),
  actions: z.array(z.string()),
  background: z.boolean().meta({ description: 'some takes had no action: the model has the class "no action"' }),
  metrics: z.record(z.string(), z.unknown()).meta({
    description: 'once trained: metric, test (on the held-out takes), trainLoss, steps, epochs, seconds per stage',
  }),
  model: z.string().optional().meta({ description: 'when done: the model now served' }),
  version: z.string().optional(),
  error: z.string().optional().meta({ description: 'when failed or cancelled: why' }),
  created: z.string(),
  started: z.string().optional(),
  finished: z.string().optional(),
});

export const jobAcceptedSchema = z.object({ id: z.string(), job: jobSchema });
export const jobListSchema = z.object({ jobs: z.array(jobSchema) });
