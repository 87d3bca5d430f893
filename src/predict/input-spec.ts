// What a served model takes as input, read from its contract (predict/input.ts: inputSpecOf): joints in a
// layout with the model's preprocessing, or raw rows of numbers.
import type { PreprocessConfig } from '../data/preprocess.js';

export type InputSpec =
  | {
      kind: 'skeleton';
      layout: string;
      bodies: number;
      joints: number;
      /** 2: the model was trained on 2D keypoints; joints may be [x, y] and z is taken as 0. */
      dims: 2 | 3;
      /** Values of one frame's joints, B*J*3 (a model with input streams takes several times that per step). */
      inputSize: number;
      preprocess: PreprocessConfig;
      /** Models trained on the paper's sampling see T segments, one frame each (the centre at test time). */
      segments?: number;
    }
  | { kind: 'raw'; inputSize: number };
