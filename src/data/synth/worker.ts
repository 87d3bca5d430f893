// Worker thread for writeSynthDataset: runs its share of the items and reports progress (files written).
import { parentPort, workerData } from 'node:worker_threads';
import { filesOf, runItem, type SynthItem } from './dataset.js';

const { out, seed, items } = workerData as { out: string; seed: number; items: SynthItem[] };
const result = { files: 0, frames: 0, bytes: 0 };
let pending = 0;
for (const item of items) {
  const r = runItem(out, seed, item);
  result.files += r.files;
  result.frames += r.frames;
  result.bytes += r.bytes;
  pending += filesOf(item);
  if (pending >= 10) {
    parentPort!.postMessage({ progress: pending });
    pending = 0;
  }
}
parentPort!.postMessage({ progress: pending, result });
