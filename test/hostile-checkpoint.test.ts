// Nothing is lost (issue 11): a checkpoint write that fails or comes up short (full disk, `ulimit -f`)
// stops training with a non-zero exit and the reason, and leaves the previous checkpoint as it was;
// `--resume` with nothing to resume says so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../src/util/safetensors.js';
import { indrnn } from './helpers/cli.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'indrnn-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tensors = [{ name: 'w', shape: [4, 64], data: Float32Array.from({ length: 256 }, (_, i) => i / 7) }];

describe('writeFileAtomic', () => {
  it('completes a file through short writes, byte for byte', () => {
    const path = join(dir, 'short.safetensors');
    // The disk takes at most 100 bytes per call.
    writeSafetensorsFile(path, tensors, { a: 'b' }, (fd, b, off, len) => writeSync(fd, b, off, Math.min(len, 100)));
    assert.deepEqual(readSafetensorsFile(path).tensors.get('w')!.data, tensors[0].data);
  });

  it('a write that stops short throws with the counts and keeps the previous file', () => {
    const path = join(dir, 'kept.bin');
    writeFileSync(path, 'previous');
    let calls = 0;
    const failing = (fd: number, b: Uint8Array, off: number, len: number) => {
      if (calls++ === 0) return writeSync(fd, b, off, Math.min(len, 10));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    assert.throws(
      () => writeFileAtomic(path, new Uint8Array(1000), failing),
      /kept\.bin: could not write it \(10 of 1000 bytes written: ENOSPC: no space left on device/,
    );
    assert.equal(readFileSync(path, 'utf8'), 'previous');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('kept.bin.tmp')),
      [],
      'the temporary file is removed',
    );
  });

  it('a write that takes no bytes is a failure, not a loop', () => {
    assert.throws(() => writeFileAtomic(join(dir, 'zero.bin'), new Uint8Array(8), () => 0), /0 of 8 bytes/);
    assert.equal(existsSync(join(dir, 'zero.bin')), false);
  });
});

describe('indrnn train on a disk that fills up', () => {
  const out = join(dir, 'run');
  const args = ['train', '--task', 'adding', '--seq-len', '10', '--hidden', '64', '--eval-every', '10', '--quiet'];

  it('exits non-zero with the reason and keeps the previous checkpoint (ulimit -f)', () => {
    const first = indrnn(...args, '--steps', '10', '--out', out);
    assert.equal(first.status, 0, first.stderr);
    const ckpt = join(out, 'checkpoint.safetensors');
    const before = readFileSync(ckpt);
    assert.ok(before.length > 40 * 1024, `a checkpoint of ${before.length} bytes; the limit below is 20 KiB`);
    // bash's ulimit -f counts KiB: the next checkpoint cannot be written whole.
    const cmd = `ulimit -f 20; exec "${process.execPath}" "${CLI}" ${args.join(' ')} --steps 20 --out "${out}" --resume`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /checkpoint\.safetensors: could not write it \(\d+ of \d+ bytes written: EFBIG/);
    assert.ok(readFileSync(ckpt).equals(before), 'the previous checkpoint is unchanged');
    assert.equal(readSafetensorsFile(ckpt).metadata.format, 'indrnn-checkpoint/1');
  });

  it('--resume with nothing to resume says so and exits non-zero', () => {
    const r = indrnn(...args, '--steps', '10', '--out', join(dir, 'empty'), '--resume');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nothing to resume: .*checkpoint\.safetensors does not exist/);
  });
});
