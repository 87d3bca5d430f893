// Small MNIST-style IDX datasets for tests (CI needs no dataset package).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/util/idx.js';
import type { Rng } from '../../src/util/rng.js';

const SIZE = 8;

/** Three classes of 8x8 images: a horizontal bar, a vertical bar, a diagonal; random position and noise. */
function makeImages(n: number, rng: Rng): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(n * SIZE * SIZE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    labels[i] = label;
    const pos = rng.int(SIZE);
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const on = label === 0 ? r === pos : label === 1 ? c === pos : r === c;
        images[i * SIZE * SIZE + r * SIZE + c] = on ? 200 + rng.int(55) : rng.int(60);
      }
    }
  }
  return { images, labels };
}

export function writeDataset(dir: string, name: string, n: number, rng: Rng, gzip: boolean): void {
  const { images, labels } = makeImages(n, rng);
  const write = (file: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gzip ? `${file}.gz` : file), gzip ? gzipSync(bytes) : bytes);
  write(`${name}-images-idx3-ubyte`, encodeIdx([n, SIZE, SIZE], images));
  write(`${name}-labels-idx1-ubyte`, encodeIdx([n], labels));
}
