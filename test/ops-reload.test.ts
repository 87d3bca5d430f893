// Model reload on a running server: a replaced file is served from the next request on while requests in
// flight all succeed, an open stream keeps the model version it started with (its predictions still
// equal the old model's), a file that does not load leaves the previous model serving, and the server
// notices new and removed models by itself (--reload watch and poll).
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelRegistry } from '../src/host/registry.js';
import { IndrnnModel } from '../src/onnx/model.js';
import type { RunningServer } from '../src/server.js';
import { until } from './helpers/metrics.js';
import { modelDir, rawFrames, testModelBytes } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const D = 6;
const bytes = (version: string, seed: number) =>
  testModelBytes({ kind: 'raw', name: 'm', version, seed, inputSize: D, hiddenSize: 12, classes: 4 });

/** Replaces a file the way a deployment should: written beside it, then renamed over it (atomic). */
function replace(file: string, data: Uint8Array | string): void {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

async function predict(url: string, frames: number[][]): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}/v1/models/m/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ frames }),
  });
  return { status: r.status, body: await r.json() };
}

/** The probability of the top class at the last of `frames`, run on `model` directly. */
async function lastStepTop(model: IndrnnModel, frames: number[][]): Promise<{ index: number; probability: number }> {
  const T = frames.length;
  const { logits } = await model.run(Float32Array.from(frames.flat()), T, 1);
  const K = logits.length / T;
  const last = Array.from(logits.subarray((T - 1) * K, T * K));
  const max = Math.max(...last);
  const exp = last.map((v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const index = last.indexOf(max);
  return { index, probability: exp[index] / sum };
}

describe('reload under load', () => {
  let dir: string;
  let srv: RunningServer;
  let oldModel: IndrnnModel;
  before(async () => {
    dir = modelDir({ 'm.onnx': bytes('1', 1), 'old-copy.bin': bytes('1', 1) });
    srv = await startLoopbackServer(dir);
    oldModel = await IndrnnModel.load(join(dir, 'old-copy.bin'), { provider: 'cpu', threads: 1 });
  });
  after(async () => {
    await srv.shutdown('test end');
    await oldModel.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no request fails while the file is replaced; an open stream keeps its version; new ones get the new', async () => {
    const stream = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/m/stream`);
    assert.equal(stream.messages[0].version, '1');
    const sent: number[][] = [];
    const send = (frames: number[][]) => {
      sent.push(...frames);
      stream.send({ type: 'frames', frames });
    };
    send(rawFrames(5, D, 1));
    await stream.predictions(5);

    // Clients keep asking while the model is replaced and the directory rescanned.
    let stop = false;
    const answers: { status: number; version: string }[] = [];
    const client = async (seed: number) => {
      for (let i = 0; !stop || i < 3; i++) {
        const r = await predict(srv.url, rawFrames(4, D, seed * 100 + i));
        answers.push({ status: r.status, version: r.body.version });
      }
    };
    const clients = [1, 2, 3].map(client);
    await until(() => answers.length >= 6, 'requests before the reload');
    replace(join(dir, 'm.onnx'), bytes('2', 2));
    await srv.state.registry!.refresh();
    const atReload = answers.length;
    await until(() => answers.length >= atReload + 6, 'requests after the reload');
    stop = true;
    await Promise.all(clients);

    assert.deepEqual(
      answers.filter((a) => a.status !== 200),
      [],
      'every request succeeded',
    );
    assert.equal(answers.at(-1)?.version, '2', 'the new file answers after the rescan');
    assert.ok(answers.some((a) => a.version === '1'));

    // The open stream goes on with version 1: its predictions are still the old model's.
    send(rawFrames(4, D, 2));
    const preds = await stream.predictions(9);
    const expected = await lastStepTop(oldModel, sent);
    assert.equal(preds[8].index, expected.index);
    assert.ok(
      Math.abs(preds[8].probability - expected.probability) < 1e-4,
      `${preds[8].probability} vs ${expected.probability}`,
    );
    assert.equal(stream.closed, null);
    assert.equal(stream.messages.filter((m) => m.type === 'error').length, 0);

    const fresh = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/m/stream`);
    assert.equal(fresh.messages[0].version, '2');
    fresh.close();
    stream.close();
    await stream.whenClosed();
  });

  it('a file that does not load (a copy in progress) leaves the previous model serving', async () => {
    writeFileSync(join(dir, 'm.onnx'), bytes('3', 3).slice(0, 300)); // half written
    await srv.state.registry!.refresh();
    const r = await predict(srv.url, rawFrames(3, D, 7));
    assert.equal(r.status, 200);
    assert.equal(r.body.version, '2');
    const index = srv.state.registry!.index();
    assert.ok(index.some((e) => e.name === 'm' && e.state === 'UNAVAILABLE' && /m\.onnx/.test(e.reason)));
    replace(join(dir, 'm.onnx'), bytes('3', 3)); // the copy completes
    await srv.state.registry!.refresh();
    assert.equal((await predict(srv.url, rawFrames(3, D, 7))).body.version, '3');
  });
});

describe('rescans of the registry', () => {
  it('a duplicate skipped at start is served once the file it duplicated is gone', async () => {
    const dir = modelDir({ 'a.onnx': bytes('1', 1), 'b.onnx': bytes('1', 2) });
    const registry = await ModelRegistry.load(dir, { device: 'cpu', threads: 1 });
    try {
      assert.equal(registry.get('m')?.file, join(dir, 'a.onnx'));
      assert.match(registry.skipped[0].reason, /already served from .*a\.onnx/);
      await registry.refresh(); // nothing changed: still skipped, not reloaded
      assert.equal(registry.get('m')?.file, join(dir, 'a.onnx'));
      rmSync(join(dir, 'a.onnx'));
      await registry.refresh();
      assert.equal(registry.get('m')?.file, join(dir, 'b.onnx'));
      assert.deepEqual(registry.skipped, []);
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const mode of ['watch', 'poll'] as const) {
  describe(`--reload ${mode}`, () => {
    let dir: string;
    let srv: RunningServer;
    before(async () => {
      dir = modelDir({ 'm.onnx': bytes('1', 1) });
      srv = await startLoopbackServer(dir, { reload: mode, pollMs: 100 });
    });
    after(async () => {
      await srv.shutdown('test end');
      rmSync(dir, { recursive: true, force: true });
    });

    it('a model added in the Triton layout is served, and goes when removed', async () => {
      const status = async (path: string) => (await fetch(`${srv.url}${path}`)).status;
      mkdirSync(join(dir, 'added', '7'), { recursive: true });
      replace(join(dir, 'added', '7', 'model.onnx'), bytes('1', 5));
      await until(async () => (await status('/v2/models/added/versions/7/ready')) === 200, 'the new model', 10_000);
      rmSync(join(dir, 'added'), { recursive: true });
      await until(async () => (await status('/v2/models/added')) === 404, 'the model to go', 10_000);
      assert.equal(await status('/v2/models/m/ready'), 200);
    });
  });
}
