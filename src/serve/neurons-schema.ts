// GET /v1/models/{name}/neurons: what the live page's "Inside the network" view shows of a model's memory.
import { z } from 'zod';

export const neuronLayerSchema = z.object({
  layer: z.number().int().meta({ description: 'recurrent layer index, in the order of the state h0 [L, B, H]' }),
  u: z
    .array(z.number())
    .meta({ description: "the layer's recurrent weights, one per neuron: h_t = relu(z_t + u h_{t-1})" }),
  timeConstant: z.array(z.number().nullable()).meta({
    description:
      "model steps for a neuron's memory to fall to 1/e with no input: -1 / ln|u|; 0 for u = 0; null for |u| >= 1 (it does not fade)",
  }),
});
export const neuronsSchema = z.object({
  model: z.string(),
  version: z.string(),
  stepRate: z.number().nullable().meta({ description: 'model steps per second (rate models); null: one per frame' }),
  layers: z.array(neuronLayerSchema),
});
export type Neurons = z.infer<typeof neuronsSchema>;
