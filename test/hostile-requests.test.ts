// Regression tests for request shapes that held up the server or lost their answer (issue 24): a KServe
// v2 `outputs` list repeated 100,000 times (a 1.5 GB answer being built), and early error answers (413,
// 401, 404, 415, 503) that clients which send their whole body before reading never saw. Against a
// listening server on 127.0.0.1 (port 0), with a token.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

const TOKEN = 'hostile-requests-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const D = 6;

let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: D } });
  srv = await startLoopbackServer(dir, { token: TOKEN });
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

async function infer(body: unknown) {
  const r = await fetch(`${srv.url}/v2/models/rows/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
  });
  return { status: r.status, code: r.headers.get('x-error-code'), body: (await r.json()) as any };
}

const x = { name: 'x', datatype: 'FP32', shape: [1, 1, D], data: new Array(D).fill(0) };
const outputs = (...names: string[]) => names.map((name) => ({ name }));

describe('KServe v2 outputs list', () => {
  it('an output asked for twice is a 400 naming outputs[i].name, as a repeated input is', async () => {
    for (const [list, field] of [
      [outputs('hT', 'hT'), 'outputs[1].name'],
      [outputs('logits', 'logits'), 'outputs[1].name'],
    ] as const) {
      const r = await infer({ inputs: [x], outputs: list });
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 200));
      assert.equal(r.code, 'invalid_field');
      assert.match(r.body.error, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: output '\\w+' is given twice`));
    }
    const inputTwice = await infer({ inputs: [x, x] });
    assert.equal(inputTwice.status, 400);
    assert.match(inputTwice.body.error, /^inputs\[1\]\.name: input 'x' is given twice/);
  });

  it('a list longer than the model has outputs is refused before any is answered (100,000 x hT)', async () => {
    const r = await infer({ inputs: [x], outputs: outputs(...new Array(100_000).fill('hT')) });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'invalid_field');
    assert.match(r.body.error, /^outputs: lists at most 2 tensors \(logits and hT\), each once/);
    const inputs = await infer({ inputs: new Array(3).fill(x) });
    assert.equal(inputs.status, 400);
    assert.match(inputs.body.error, /^inputs: lists at most 2 tensors/);
  });

  it('an unknown output is a 400 naming it; the answer has each asked output once', async () => {
    const unknown = await infer({ inputs: [x], outputs: outputs('logits', 'probs') });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /^outputs\[1\]\.name is 'probs'; model 'rows' has outputs logits and hT/);
    const both = await infer({ inputs: [x], outputs: outputs('hT', 'logits') });
    assert.equal(both.status, 200);
    assert.deepEqual(
      both.body.outputs.map((o: { name: string }) => o.name),
      ['hT', 'logits'],
    );
    const all = await infer({ inputs: [x] });
    assert.deepEqual(
      all.body.outputs.map((o: { name: string }) => o.name),
      ['logits', 'hT'],
    );
  });
});
