import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
} from '../src/util/safetensors.js';

describe('safetensors container', () => {
  const tensors = [
    { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'a.bias', shape: [3], data: Float32Array.from([-1, 0.5, 7]) },
  ];

  it('writes the standard layout: u64 header length, JSON header, 8-byte aligned data', () => {
    const bytes = encodeSafetensors(tensors, { note: 'hi' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + headerLen) % 8, 0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString());
    assert.deepEqual(header['a.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    assert.deepEqual(header['a.bias'].data_offsets, [24, 36]);
    assert.deepEqual(header.__metadata__, { note: 'hi' });
  });

  it('round-trips through a file (read back as a Node Buffer)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    try {
      const path = join(dir, 'x.safetensors');
      writeSafetensorsFile(path, tensors, { k: 'v' });
      const back = readSafetensorsFile(path);
      assert.deepEqual(back.tensors.get('a.weight')!.data, tensors[0].data);
      assert.deepEqual(back.tensors.get('a.bias')!.data, tensors[1].data);
      assert.equal(back.metadata.k, 'v');
      const truncated = readFileSync(path).subarray(0, 60);
      assert.throws(() => decodeSafetensors(truncated, 'cut.safetensors'), /cut.safetensors: .*truncated/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
