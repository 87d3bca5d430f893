// Hostile files and killed launchers (issue 24): a tampered dataset cache or checkpoint is refused before
// anything is allocated from its header, with the file and the field; a write that fails leaves no
// temporary file, and the next write removes those of writers that were killed; a launcher killed with
// SIGKILL takes the work it re-executed (train, data build) with it; an out-of-range number in JSON Lines
// is called out of range.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CacheWriter, decodeCache } from '../src/data/cache.js';
import type { LabelInfo } from '../src/data/cache-header.js';
import { readUserJsonl } from '../src/data/user-format.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';
import { Rng } from '../src/util/rng.js';
import { indrnn } from './helpers/cli.js';
import { allGone, descendants } from './helpers/processes.js';
import { editMetadataJson, tamperCacheHeader, tamperSafetensorsHeader } from './helpers/tamper.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'indrnn-hostile-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small coco17 cache: `n` samples of 8-20 frames, three classes, float32 or int16. */
function smallCache(n = 12, dtype: 'int16' | 'float32' = 'int16'): CacheWriter {
  const labels: LabelInfo[] = ['a', 'b', 'c'].map((name) => ({ name, ntuAction: null }));
  const w = new CacheWriter({ layout: 'coco17', bodies: 1, labels, dtype });
  const rng = new Rng(24);
  for (let i = 0; i < n; i++) {
    const T = 8 + rng.int(13);
    const raw = Float32Array.from({ length: T * 17 * 3 }, () => rng.uniform(-1, 1));
    w.add({ id: `s${i}`, raw, T, label: i % 3, subject: 1 + (i % 4) });
  }
  return w;
}

/** The temporary file process `pid` writes `path` through (atomic-write.ts). */
const tempPathOf = (path: string, pid: number) => `${path}.tmp-${pid}`;

/** Temporary files of `file` (any pid) in its folder. */
const tempsOf = (folder: string, file: string) => readdirSync(folder).filter((f) => f.startsWith(`${file}.tmp-`));

describe('a tampered dataset cache is refused with the file and the field', () => {
  const good = smallCache().encode().bytes;
  const tampered = (edit: (h: Record<string, any>) => void) => tamperCacheHeader(good, edit);
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'joints 1000000',
      tampered((h) => {
        h.joints = 1_000_000;
      }),
      /x\.cache: sections\.frames\.length: \d+ values, but totalFrames x bodies x joints x 3 is \d+ x 1 x 1000000 x 3/,
    ],
    [
      'bodies 1000000',
      tampered((h) => {
        h.bodies = 1_000_000;
      }),
      /x\.cache: bodies: .*64/,
    ],
    [
      'a section length of 2^31',
      tampered((h) => {
        h.sections.lengths.length = 2 ** 31;
      }),
      /x\.cache: sections\.lengths\.length: 2147483648 values, but count is 12/,
    ],
    [
      'a section past the end of the file',
      tampered((h) => {
        h.sections.frames.offset = good.length + 8;
      }),
      /x\.cache: sections\.frames: file has \d+ bytes, header needs \d+ \(truncated\?\)/,
    ],
    [
      'a misaligned section',
      tampered((h) => {
        h.sections.meta.offset += 2;
      }),
      /x\.cache: sections\.meta\.offset: \d+ is not a 4-byte aligned position/,
    ],
    [
      'a section over the header',
      tampered((h) => {
        h.sections.labels.offset = 16;
      }),
      /x\.cache: sections\.labels\.offset: 16 is not a 4-byte aligned position after the header/,
    ],
    [
      'a header length past the buffer',
      (() => {
        const b = Buffer.from(good);
        b.writeUInt32LE(b.length, 8);
        return b;
      })(),
      /x\.cache: header length \d+ runs past the end of the file \(\d+ bytes; truncated\?\)/,
    ],
    [
      'a header that is not JSON',
      (() => {
        const b = Buffer.from(good);
        b.write('}', 12);
        return b;
      })(),
      /x\.cache: header is not valid JSON/,
    ],
    [
      "a sample's length past totalFrames",
      (() => {
        const b = tampered(() => {});
        const h = JSON.parse(b.subarray(12, 12 + b.readUInt32LE(8)).toString());
        b.writeUInt32LE(1_000_000_000, h.sections.lengths.offset);
        return b;
      })(),
      /x\.cache: sections\.lengths: the samples' frames add up to \d+, but totalFrames is \d+/,
    ],
    [
      'a label outside the labels',
      (() => {
        const b = tampered(() => {});
        const h = JSON.parse(b.subarray(12, 12 + b.readUInt32LE(8)).toString());
        b.writeInt32LE(7, h.sections.labels.offset + 4);
        return b;
      })(),
      /x\.cache: sections\.labels\[1\]: label 7 is outside -1\.\.2/,
    ],
  ];
  for (const [what, bytes, why] of cases) {
    it(what, () => assert.throws(() => decodeCache(bytes, 'x.cache'), why));
  }

  it('the untampered cache still opens (the checks pass on what the writer writes)', () => {
    for (const dtype of ['int16', 'float32'] as const) {
      const ds = decodeCache(smallCache(5, dtype).encode().bytes, 'ok.cache');
      assert.deepEqual([ds.count, ds.joints, ds.label(4)], [5, 17, 1]);
    }
    assert.equal(
      decodeCache(
        tampered(() => {}),
        'same.cache',
      ).count,
      12,
    );
  });

  it('`train` on a cache whose count says 1000000000 exits at once, naming the file and count (no gigabytes)', () => {
    const file = join(dir, 'count.cache');
    writeFileSync(
      file,
      tampered((h) => {
        h.count = 1_000_000_000;
      }),
    );
    // At most 2 GB of address space: trusting the count would need 8 GB for the sample starts alone.
    const cmd = `ulimit -v 2000000; exec "${process.execPath}" "${CLI}" train --task skeleton --cache "${file}" --split random:0.25 --out "${join(dir, 'count-run')}" --quiet`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /count\.cache: count: 1000000000, but ids holds 12 sample ids/);
  });

  it('the writer refuses more bodies than a cache may hold', () => {
    assert.throws(
      () => new CacheWriter({ layout: 'coco17', bodies: 65, labels: [] }),
      /bodies per frame must be an integer in 1\.\.64, got 65/,
    );
  });
});

describe('a tampered checkpoint is refused with the file and what is wrong', () => {
  const run = join(dir, 'ckpt-run');
  let good: Buffer;
  before(() => {
    const tiny = '--task adding --seq-len 10 --arch residual --depth 1 --hidden 16 --steps 2 --eval-every 2';
    const r = indrnn('train', ...tiny.split(' '), '--out', run, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    good = readFileSync(join(run, 'checkpoint.safetensors'));
  });

  /**
   * `indrnn export` of `bytes` (written as `name`), in at most 2 GB of address space and a 256 MB heap:
   * a tampered file must be refused, not tried (or not take the machine with it if it is).
   */
  function exportTampered(name: string, bytes: Uint8Array) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const out = join(dir, `${name}.onnx`);
    const cmd = `ulimit -v 2000000; exec "${process.execPath}" --max-old-space-size=256 "${CLI}" export --checkpoint "${path}" --out "${out}"`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stderr: r.stderr, wrote: existsSync(out) };
  }

  const cases: [string, (h: Record<string, any>) => void, RegExp][] = [
    [
      'fc0.weight declaring [1e6, 1e6]',
      (h) => {
        h['model.fc0.weight'].shape = [1e6, 1e6];
      },
      /tensor model\.fc0\.weight: shape \[1000000,1000000\] needs 4000000000000 bytes, data_offsets \[0, 128\] hold 128/,
    ],
    [
      'a swapped shape [16, 2] for [2, 16]',
      (h) => {
        h['model.fc0.weight'].shape = [16, 2];
      },
      /tensor model\.fc0\.weight has shape \[16,2\], the network needs \[2,16\]/,
    ],
    [
      'data offsets past the file',
      (h) => {
        h['model.fc0.weight'].data_offsets = [0, 1e12];
      },
      /tensor model\.fc0\.weight: data_offsets \[0, 1000000000000\] are not inside the \d+ data bytes/,
    ],
    [
      'a shape that is not a list of sizes',
      (h) => {
        h['model.fc0.weight'].shape = [-1, 16];
      },
      /tensor model\.fc0\.weight: shape\[0\]: /,
    ],
    [
      'a thousand tensors over the same bytes',
      (h) => {
        const dataBytes = good.length - 8 - Number(good.readBigUInt64LE(0));
        for (let i = 0; i < 1000; i++)
          h[`copy${i}`] = { dtype: 'F32', shape: [dataBytes / 4], data_offsets: [0, dataBytes] };
      },
      /the tensors claim \d+ bytes, the data section has \d+ \(they overlap\)/,
    ],
    [
      'a config asking for a network of hidden size 1000000',
      (h) =>
        editMetadataJson(h, 'config', (c) => {
          c.network.hiddenSize = 1_000_000;
        }),
      /metadata config\.network: the network needs more than \d+ parameter values \(.* brings it to \d+\); its model\.\* tensors hold \d+/,
    ],
    [
      'a config asking for 10^9 blocks',
      (h) =>
        editMetadataJson(h, 'config', (c) => {
          c.network.depth = 1e9;
        }),
      /metadata config\.network: network depth must be at most 10000, got 1000000000/,
    ],
    [
      'a config asking for 10^4 blocks of width 10^3',
      (h) =>
        editMetadataJson(h, 'config', (c) => {
          c.network.depth = 1e4;
          c.network.hiddenSize = 1e3;
        }),
      /metadata config\.network: the network needs more than \d+ parameter values/,
    ],
    [
      'a state that is not JSON',
      (h) => {
        h.__metadata__.state = '{"step":';
      },
      /metadata state is not valid JSON/,
    ],
    [
      'a state without a history',
      (h) =>
        editMetadataJson(h, 'state', (s) => {
          delete s.history;
        }),
      /metadata state\.history: /,
    ],
  ];
  cases.forEach(([what, edit, why], i) => {
    it(`${what}: \`export\` exits 1 naming the file, and writes no model`, () => {
      const r = exportTampered(`tampered-${i}.safetensors`, tamperSafetensorsHeader(good, edit));
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`tampered-${i}\\.safetensors: ${why.source}`));
      assert.equal(r.wrote, false);
    });
  });
});

describe('temporary files of atomic writes', () => {
  /** The pid of a process that has exited. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

  it('`data build` on a disk that fills up (ulimit -f) names the file and leaves no temporary file', () => {
    const folder = join(dir, 'efbig');
    mkdirSync(folder);
    const jsonl = join(folder, 'big.jsonl');
    const rng = new Rng(5);
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({
        id: `s${i}`,
        label: `c${i % 3}`,
        layout: 'coco17',
        frames: Array.from({ length: 30 }, () => Array.from({ length: 17 }, () => [rng.uniform(0, 1), 1, 2])),
      }),
    );
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
    const out = join(folder, 'x.cache');
    writeFileSync(out, 'previous');
    const cmd = `ulimit -f 50; exec "${process.execPath}" "${CLI}" data build --jsonl "${jsonl}" --out "${out}"`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /x\.cache: could not write it \(51200 of \d+ bytes written: EFBIG/);
    assert.equal(readFileSync(out, 'utf8'), 'previous', 'the previous cache is kept');
    assert.deepEqual(tempsOf(folder, 'x.cache'), []);
  });

  it("the next write removes the temporary files of killed writers, not a live writer's", () => {
    const folder = join(dir, 'stale');
    mkdirSync(folder);
    const target = join(folder, 'model.onnx');
    const dead = tempPathOf(target, deadPid());
    const live = tempPathOf(target, process.ppid);
    const other = join(folder, 'model.onnx.tmp-notapid');
    for (const f of [dead, live, other]) writeFileSync(f, 'left behind');
    writeFileAtomic(target, Buffer.from('new model'));
    assert.equal(readFileSync(target, 'utf8'), 'new model');
    assert.deepEqual(tempsOf(folder, 'model.onnx').sort(), [live, other].map((f) => f.slice(folder.length + 1)).sort());
  });

  it('a cache written after a killed build removes its temporary file', () => {
    const folder = join(dir, 'stale-cache');
    const out = join(folder, 'x.cache');
    mkdirSync(folder);
    const dead = tempPathOf(out, deadPid());
    writeFileSync(dead, Buffer.alloc(4096));
    smallCache(3).write(out);
    assert.deepEqual(tempsOf(folder, 'x.cache'), []);
    assert.equal(decodeCache(readFileSync(out), out).count, 3);
  });
});

describe('a launcher killed with SIGKILL takes the work it re-executed with it', () => {
  // Without the allocator settings the CLI re-executes itself: the pid we hold is the launcher's.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GLIBC_TUNABLES;
  delete env.INDRNN_NO_REEXEC;

  /** Starts `indrnn args` and resolves with the launcher and its re-executed child once that runs. */
  async function launched(args: string[]): Promise<{ launcher: ChildProcess; child: number; stderr: () => string }> {
    const launcher = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    launcher.stderr!.on('data', (d) => {
      stderr += d;
    });
    const t0 = Date.now();
    for (;;) {
      const [child] = descendants(launcher.pid!);
      if (child) return { launcher, child, stderr: () => stderr };
      if (launcher.exitCode !== null || Date.now() - t0 > 60_000)
        throw new Error(`no re-executed child (exit ${launcher.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  };

  it('`data build` stops (even blocked in a synchronous read) and writes no cache', async () => {
    const folder = join(dir, 'orphan-build');
    mkdirSync(folder);
    // A FIFO nobody writes: the build blocks in its synchronous read, the main thread runs nothing.
    const fifo = join(folder, 'samples.jsonl');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const out = join(folder, 'x.cache');
    const p = await launched(['data', 'build', '--jsonl', fifo, '--out', out]);
    try {
      p.launcher.kill('SIGKILL');
      await allGone([p.child], 60_000);
      assert.equal(existsSync(out), false, 'no cache');
      assert.deepEqual(tempsOf(folder, 'x.cache'), []);
    } finally {
      kill(p.child);
    }
  });

  it('`train` stops', async () => {
    const args = ['train', '--task', 'adding', '--seq-len', '20', '--hidden', '32', '--steps', '1000000'];
    const p = await launched([...args, '--out', join(dir, 'orphan-train'), '--quiet']);
    try {
      p.launcher.kill('SIGKILL');
      await allGone([p.child], 60_000);
    } finally {
      kill(p.child);
    }
  });
});

describe('numbers out of range in JSON Lines', () => {
  const coco = (x: number) => Array.from({ length: 17 }, (_, j) => [x + j, 2 * j]);
  const file = join(dir, 'range.jsonl');
  const line = (frames: string, extra = '') => `{"label":"x","layout":"coco17"${extra},"frames":${frames}}`;
  const good = JSON.stringify([coco(0), coco(1)]);
  const cases: [string, string, RegExp][] = [
    [
      '1e999 (JSON.parse reads Infinity)',
      line(good.replace('[1,2]', '[1e999,2]')),
      /range\.jsonl line 2: frames\[0\]\[1\]\[0\]: Infinity \(a number beyond ±1\.8e308, such as 1e999\) is out of range for a 32-bit float/,
    ],
    [
      '-1e999',
      line(good.replace('[1,2]', '[1,-1e999]')),
      /range\.jsonl line 2: frames\[0\]\[1\]\[1\]: -Infinity \(a number beyond ±1\.8e308, such as 1e999\) is out of range/,
    ],
    [
      '1e39, finite but not in a 32-bit float',
      line(good.replace('[1,2]', '[1e39,2]')),
      /range\.jsonl line 2: frames\[0\]\[1\]\[0\]: 1e\+39 is out of range for a 32-bit float/,
    ],
    [
      'fps 1e999',
      line(good, ',"fps":1e999'),
      /range\.jsonl line 2: fps: Infinity \(a number beyond ±1\.8e308, such as 1e999\) is out of range/,
    ],
  ];
  for (const [what, text, why] of cases) {
    it(what, () => {
      writeFileSync(file, `${line(good)}\n${text}\n`);
      assert.throws(() => readUserJsonl(file), why);
    });
  }
});
