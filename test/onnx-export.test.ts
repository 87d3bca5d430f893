// The exported ONNX model against the TypeScript network: whole sequences, streaming in chunks,
// padded batches, edge cases, and the loader's validation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { foldNetwork } from '../src/export/fold.js';
import { buildOnnxModel } from '../src/export/loop-graph.js';
import { networkMetadata } from '../src/export/network-to-onnx.js';
import { architectureNames } from '../src/nn/architectures.js';
import { OrtBackend } from '../src/nn/backend.js';
import { Network, type NetworkConfig, recurrentLayerCount } from '../src/nn/network.js';
import { seq } from '../src/nn/seq.js';
import { IndrnnModel } from '../src/onnx/model.js';
import { validateModelBytes } from '../src/onnx/validate.js';
import { onnx, parseModel } from '../src/util/onnx-graph.js';
import { Rng } from '../src/util/rng.js';
import { TEST_DENSE } from './helpers/dense-architecture.js';
import { randomArray } from './helpers/gradcheck.js';
import { CUDA_AVAILABLE, runInChunks } from './helpers/models.js';

const backend = new OrtBackend();
const dir = mkdtempSync(join(tmpdir(), 'indrnn-onnx-'));
after(async () => {
  await backend.release();
  rmSync(dir, { recursive: true, force: true });
});

function config(overrides: Partial<NetworkConfig>): NetworkConfig {
  return {
    arch: 'residual',
    inputSize: 6,
    hiddenSize: 8,
    depth: 2,
    numOutputs: 4,
    readout: 'all',
    dropout: 0.3,
    batchNorm: true,
    mag: 5,
    seqLen: 20,
    clipRecurrent: true,
    ...overrides,
  };
}

function metadataFor(c: NetworkConfig): Record<string, string> {
  return networkMetadata(c, {
    name: 'test',
    contract: {
      task_kind: 'classification',
      labels: Array.from({ length: c.numOutputs }, (_, i) => ({ name: `class ${i}` })),
    },
  });
}

/** A network with random weights and random BN running statistics (so that folding matters). */
function randomNetwork(c: NetworkConfig, seed: number, weightScale = 0.6): Network {
  const net = new Network(c, backend);
  const rng = new Rng(seed);
  net.store.initialize(rng);
  for (const p of net.store.params) {
    if (p.name.endsWith('running_var')) rng.fillUniform(p.value, 0.3, 2);
    else if (p.name.endsWith('running_mean') || p.role === 'bn' || p.role === 'bias')
      rng.fillUniform(p.value, -0.5, 1.5);
    else if (p.role === 'weight') rng.fillUniform(p.value, -weightScale, weightScale);
  }
  return net;
}

async function exported(net: Network): Promise<IndrnnModel> {
  const bytes = buildOnnxModel(foldNetwork(net.config, net.store), metadataFor(net.config));
  return IndrnnModel.fromBytes(bytes, 'test.onnx', { provider: 'cpu' });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ONNX export parity with the TypeScript network', () => {
  const shapes: Partial<NetworkConfig>[] = [
    { arch: 'plain', depth: 1, hiddenSize: 5 },
    { arch: 'plain', depth: 3, hiddenSize: 8 },
    { arch: 'plain', depth: 2, hiddenSize: 16, batchNorm: false },
    { arch: 'residual', depth: 1, hiddenSize: 8 },
    { arch: 'residual', depth: 3, hiddenSize: 12 },
    { arch: 'dense', depth: 1, hiddenSize: 8 },
    { arch: 'dense', depth: 2, hiddenSize: 6, batchNorm: false },
    { arch: TEST_DENSE, depth: 2, hiddenSize: 8 },
    { arch: TEST_DENSE, depth: 1, hiddenSize: 6, batchNorm: false },
  ];
  it('has a case for every registered architecture', () => {
    assert.deepEqual(new Set(shapes.map((s) => s.arch)), new Set(architectureNames()));
  });
  for (const [i, s] of shapes.entries()) {
    it(`${s.arch} depth ${s.depth} width ${s.hiddenSize}${s.batchNorm === false ? ' no BN' : ''}`, async () => {
      const net = randomNetwork(config(s), i + 1);
      const model = await exported(net);
      const [T, B] = [9, 3];
      const rng = new Rng(100 + i);
      const x = randomArray(rng, T * B * net.config.inputSize);
      const hT: Float32Array[] = [];
      const ts = await net.forward(seq(x, T, B, net.config.inputSize), { training: false, hT });
      const out = await model.run(x, T, B);
      assert.ok(maxAbsDiff(out.logits, ts.data) < 1e-4, `logits differ by ${maxAbsDiff(out.logits, ts.data)}`);
      const L = recurrentLayerCount(net.config);
      const H = net.config.hiddenSize;
      for (let l = 0; l < L; l++)
        assert.ok(maxAbsDiff(out.hT.subarray(l * B * H, (l + 1) * B * H), hT[l]) < 1e-4, `hT[${l}]`);
      await model.release();
    });
  }

  it('streaming in chunks of 1, 3 and 7 frames, state passed back, equals the whole sequence', async () => {
    const net = randomNetwork(config({ depth: 2 }), 7);
    const model = await exported(net);
    const [T, B, D] = [23, 2, 6];
    const x = randomArray(new Rng(5), T * B * D);
    const whole = await model.run(x, T, B);
    for (const chunk of [1, 3, 7]) {
      const { logits, hT } = await runInChunks(model, x, T, B, chunk);
      assert.ok(maxAbsDiff(logits, whole.logits) < 1e-4, `chunks of ${chunk}: ${maxAbsDiff(logits, whole.logits)}`);
      assert.ok(maxAbsDiff(hT, whole.hT) < 1e-4);
    }
    await model.release();
  });

  it('run() can write into preallocated outputs, with the same numbers', async () => {
    const net = randomNetwork(config({ depth: 1 }), 10);
    const model = await exported(net);
    const [T, B, L, H, K] = [3, 2, 3, 8, 4];
    const x = randomArray(new Rng(8), T * B * 6);
    const fresh = await model.run(x, T, B);
    const out = { logits: new Float32Array(T * B * K), hT: new Float32Array(L * B * H) };
    const r = await model.run(x, T, B, undefined, out);
    assert.equal(r.logits, out.logits);
    assert.deepEqual(out.logits, fresh.logits);
    assert.deepEqual(out.hT, fresh.hT);
    await assert.rejects(
      model.run(x, T, B, undefined, { logits: new Float32Array(1), hT: out.hT }),
      /out.logits has 1 values/,
    );
    await model.release();
  });

  it('a short sequence right-padded in a batch gives, at its own last frame, the logits it gives alone', async () => {
    const net = randomNetwork(config({ depth: 2 }), 8);
    const model = await exported(net);
    const [D, K] = [6, 4];
    const lengths = [4, 11, 7];
    const Tmax = 11;
    const rng = new Rng(6);
    const seqs = lengths.map((T) => randomArray(rng, T * D));
    const B = lengths.length;
    const batch = new Float32Array(Tmax * B * D); // zeros past each sequence's end
    seqs.forEach((s, b) => {
      for (let t = 0; t < lengths[b]; t++) batch.set(s.subarray(t * D, (t + 1) * D), (t * B + b) * D);
    });
    const together = await model.run(batch, Tmax, B);
    for (const [b, T] of lengths.entries()) {
      const alone = await model.run(seqs[b], T, 1);
      const mine = together.logits.subarray(((T - 1) * B + b) * K, ((T - 1) * B + b + 1) * K);
      assert.ok(maxAbsDiff(mine, alone.logits.subarray((T - 1) * K)) < 1e-4, `sequence ${b}`);
    }
    await model.release();
  });

  it('edge cases: T = 1 with B > 1, and T = 5000', async () => {
    // |u| <= 5^(1/5000) and small weights keep 5000 steps of activations O(1), as in a trained model.
    const net = randomNetwork(config({ arch: 'plain', depth: 2, hiddenSize: 8, seqLen: 5000 }), 9, 0.2);
    const model = await exported(net);
    for (const [T, B] of [
      [1, 4],
      [5000, 1],
    ]) {
      const x = randomArray(new Rng(T), T * B * 6);
      const ts = await net.forward(seq(x, T, B, 6), { training: false });
      const out = await model.run(x, T, B);
      // Float32 sums over thousands of steps: compare relative to the size of the logits.
      const scale = Math.max(1, ...Array.from(ts.data, Math.abs));
      assert.ok(
        maxAbsDiff(out.logits, ts.data) / scale < 1e-4,
        `T=${T} B=${B}: ${maxAbsDiff(out.logits, ts.data)} at scale ${scale}`,
      );
    }
    await model.release();
  });
});

describe('the exported graph', () => {
  const net = randomNetwork(config({ depth: 2 }), 3);
  const bytes = buildOnnxModel(foldNetwork(net.config, net.store), metadataFor(net.config));

  it('uses one Loop per IndRNN layer, opset 17, no BatchNorm or Dropout left', () => {
    const model = parseModel(bytes);
    const ops = model.graph!.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'Loop').length, recurrentLayerCount(net.config));
    assert.ok(!ops.includes('BatchNormalization') && !ops.includes('Dropout'));
    assert.equal(Number(model.opsetImport![0].version), 17);
    const body = model.graph!.node!.find((n) => n.opType === 'Loop')!.attribute![0].g!;
    assert.deepEqual(body.node!.map((n) => n.opType).sort(), ['Add', 'Gather', 'Mul', 'Relu']);
    // h is both the carried state and the scan output: the same value, named twice, no copy.
    assert.deepEqual(
      body.output!.slice(1).map((o) => o.name),
      ['rec0.h', 'rec0.h'],
    );
  });

  it('passes the ONNX checker (when python3-onnx is installed)', (t) => {
    // Debian's python3-onnx installs for the system interpreter, which may not be first on PATH.
    const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import onnx']).status === 0);
    if (!python) {
      t.skip('python3-onnx is not installed');
      return;
    }
    const file = join(dir, 'checked.onnx');
    writeFileSync(file, bytes);
    const r = spawnSync(
      python,
      ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
  });

  it('the loader rejects files that break the contract, naming the file and the problem', async () => {
    assert.throws(
      () => validateModelBytes(Uint8Array.from([1, 2, 3, 4, 5]), 'junk.onnx'),
      /junk.onnx: not an ONNX model/,
    );
    const model = parseModel(bytes);
    const strip = (f: (m: typeof model) => void) => {
      const m = parseModel(bytes);
      f(m);
      return onnx.ModelProto.encode(m).finish();
    };
    const noMeta = strip((m) => {
      m.metadataProps = [];
    });
    assert.throws(
      () => validateModelBytes(noMeta, 'old.onnx'),
      /old.onnx: no indrnn metadata.*re-export it with `indrnn export`/,
    );
    const noH0 = strip((m) => {
      m.graph!.input = m.graph!.input!.filter((i) => i.name !== 'h0');
    });
    assert.throws(() => validateModelBytes(noH0, 'm.onnx'), /m.onnx: no input 'h0'/);
    const badLabels = strip((m) => {
      m.metadataProps!.find((p) => p.key === 'labels')!.value = '[{"name": "only one"}]';
    });
    assert.throws(() => validateModelBytes(badLabels, 'm.onnx'), /has 4 outputs but 1 labels/);
    await assert.rejects(IndrnnModel.load(join(dir, 'missing.onnx')), /missing.onnx: cannot read the file \(ENOENT\)/);
    assert.ok(model.graph);
  });

  it('--device cuda fails loudly without CUDA; auto falls back to CPU and says why', {
    skip: CUDA_AVAILABLE && 'CUDA is available here',
  }, async () => {
    await assert.rejects(
      IndrnnModel.fromBytes(bytes, 'm.onnx', { provider: 'cuda' }),
      /m.onnx: (--device cuda asked for, but|cannot run on CUDA)/,
    );
    const reasons: string[] = [];
    const m = await IndrnnModel.fromBytes(bytes, 'm.onnx', { provider: 'auto', onFallback: (r) => reasons.push(r) });
    assert.equal(m.provider, 'cpu');
    assert.equal(reasons.length, 1);
    await m.release();
  });

  it('--device cuda and auto run on CUDA where it is available, with the logits of the CPU', {
    skip: !CUDA_AVAILABLE && 'no CUDA here',
  }, async () => {
    const [T, B, D] = [7, 2, net.config.inputSize];
    const x = randomArray(new Rng(5), T * B * D);
    const cpu = await IndrnnModel.fromBytes(bytes, 'm.onnx', { provider: 'cpu' });
    const want = await cpu.run(x, T, B);
    await cpu.release();
    for (const provider of ['cuda', 'auto'] as const) {
      const reasons: string[] = [];
      const m = await IndrnnModel.fromBytes(bytes, 'm.onnx', { provider, onFallback: (r) => reasons.push(r) });
      assert.equal(m.provider, 'cuda', provider);
      assert.deepEqual(reasons, []);
      assert.ok(maxAbsDiff((await m.run(x, T, B)).logits, want.logits) < 1e-3, provider);
      await m.release();
    }
  });
});
