// The stream's fast reader of JSON frames messages (src/predict/frames-text.ts) gives the general path's
// values bit for bit (JSON.parse, the message schema, predict/input.ts), and leaves every message it does not
// take whole (errors included) to the general path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFramesMessage } from '../src/predict/frames-text.js';
import { readFrames } from '../src/predict/input.js';
import type { InputSpec } from '../src/predict/input-spec.js';
import { DEFAULT_MIN_SCORE } from '../src/predict/point-options.js';
import { parseClientMessage } from '../src/stream/protocol.js';
import { Rng } from '../src/util/rng.js';
import { FramesScratch } from '../src/util/scratch.js';

const J = 4;
const skeleton = (bodies: number, dims: 2 | 3): InputSpec => ({
  kind: 'skeleton',
  layout: 'test4',
  bodies,
  joints: J,
  dims,
  inputSize: bodies * J * dims,
  preprocess: {} as any,
});
const MAX = 5;

/** The general path's frames, or the error code it answers. */
function general(text: string, spec: InputSpec): Float32Array | string {
  try {
    const msg = parseClientMessage(text);
    if (msg.type !== 'frames') return `type ${msg.type}`;
    if (msg.frames.length === 0 || msg.frames.length > MAX) return 'length';
    return readFrames(msg.frames, spec, 'frames');
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

function fast(text: string, spec: InputSpec): Float32Array | null {
  const r = readFramesMessage(Buffer.from(text), spec, MAX, new FramesScratch(), DEFAULT_MIN_SCORE);
  return r ? r.frames.slice() : null;
}

/** Same bits, -0 and NaN included. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

function numberText(rng: Rng): string {
  const v = rng.uniform(-3, 3) * 10 ** Math.floor(rng.uniform(-8, 8));
  switch (Math.floor(rng.uniform(0, 7))) {
    case 0:
      return JSON.stringify(v); // up to 17 significant digits
    case 1:
      return v.toFixed(Math.floor(rng.uniform(0, 8)));
    case 2:
      return v.toExponential(Math.floor(rng.uniform(0, 20))).replace('e+', rng.uniform(0, 1) < 0.5 ? 'E' : 'e+');
    case 3:
      return JSON.stringify(Math.fround(v)); // a float32 as a client's double
    case 4:
      return String(Math.round(v));
    case 5:
      return `${v.toPrecision(21)}`; // more digits than a double holds
    default:
      return rng.uniform(0, 1) < 0.5 ? '-0' : '0.0';
  }
}

test('well-formed frames messages read from bytes equal the general path bit for bit', () => {
  const rng = new Rng(11);
  let taken = 0;
  for (let k = 0; k < 400; k++) {
    const bodies = 1 + Math.floor(rng.uniform(0, 2));
    const dims = rng.uniform(0, 1) < 0.8 ? 3 : 2;
    const spec = skeleton(bodies, dims);
    const T = 1 + Math.floor(rng.uniform(0, MAX));
    const multi = rng.uniform(0, 1) < 0.5;
    const sp = rng.uniform(0, 1) < 0.3 ? ' \n' : '';
    // 2D points with a score half the time ([x, y, score]: below the default minScore the point is missing).
    const values = () => (dims === 2 && rng.uniform(0, 1) < 0.5 ? 3 : dims);
    const score = () => (rng.uniform(0, 1) < 0.5 ? numberText(rng) : rng.uniform(0, 1).toFixed(2));
    const joint = () =>
      `[${Array.from({ length: values() }, (_, i) => (i === 2 && dims === 2 ? score() : numberText(rng))).join(`,${sp}`)}]`;
    const body = () => `[${Array.from({ length: J }, joint).join(',')}]`;
    const frame = () =>
      multi ? `[${Array.from({ length: 1 + Math.floor(rng.uniform(0, bodies)) }, body).join(',')}]` : body();
    const frames = `[${Array.from({ length: T }, frame).join(`,${sp}`)}]`;
    const text =
      rng.uniform(0, 1) < 0.5
        ? `{"type":"frames",${sp}"frames":${frames}}`
        : `${sp}{ "frames" : ${frames} , "type" : "frames" }${sp}`;
    const want = general(text, spec);
    assert.ok(want instanceof Float32Array, `${text}: ${want}`);
    const got = fast(text, spec);
    if (got === null) continue; // left to the general path: allowed, but should be rare
    taken++;
    assert.ok(sameBits(got, want), `${text}\n${got}\n${want}`);
  }
  assert.ok(taken > 380, `the fast path took only ${taken} of 400`);
});

test('numbers at the edges of float32 rounding and range are read as JSON.parse reads them', () => {
  const spec: InputSpec = { kind: 'raw', inputSize: 1 };
  const edge = [
    '16777217', // between two float32s
    '0.1000000000000000055511151231257827',
    '3.4028235e38',
    '3.4028234663852886e38',
    '1e-45',
    '1.401298464324817e-45',
    '7e-46',
    '123456789012345678901234567890',
    '9007199254740993',
    '0.30000001192092896',
    '-0',
    '0e999',
    '2.5e-23',
    '1e22',
    '1e23',
  ];
  for (const n of edge) {
    const text = `{"type":"frames","frames":[[${n}]]}`;
    const want = general(text, spec);
    const got = fast(text, spec);
    if (got !== null) assert.ok(want instanceof Float32Array && sameBits(got, want), `${n}: ${got} vs ${want}`);
    else assert.ok(typeof want === 'string' || n.length > 19 || /e/.test(n), `${n} should be taken`);
  }
});

test('every message the fast path does not take whole goes to the general path (null), errors included', () => {
  const spec = skeleton(1, 3);
  const j = '[1,2,3]';
  const body = `[${[j, j, j, j].join(',')}]`;
  const cases = [
    `{"type":"reset"}`,
    `{"type":"config","config":{}}`,
    `{"type":"frames"}`,
    `{"frames":[${body}]}`,
    `{"type":"frames","frames":[]}`,
    `{"type":"frames","frames":[${Array(MAX + 1)
      .fill(body)
      .join(',')}]}`,
    `{"type":"frames","frames":[${body}],"type":"frames"}`,
    `{"type":"frames","frames":[${body}],"extra":1}`,
    `{"type":"fr\\u0061mes","frames":[${body}]}`,
    `{"type":"frames","frames":[[${[j, j, j].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, j, j].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[1,2]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[1,2,3,4]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[01,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[1.,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[.5,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[+1,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[1e,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[1e39,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '["1",2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[[${[j, j, j, '[null,2,3]'].join(',')}]]}`,
    `{"type":"frames","frames":[${body},]}`,
    `{"type":"frames","frames":[${body}]} x`,
    `{"type":"frames","frames":[${body}]`,
    `\ufeff{"type":"frames","frames":[${body}]}`,
    `{"type":"frames","frames":[[${body},${body}]]}`, // two bodies; the model has one
  ];
  for (const text of cases) assert.equal(fast(text, spec), null, text);
});
