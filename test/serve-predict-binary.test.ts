// Binary predict bodies (application/octet-stream float32 frames shaped by X-Frames-Shape, docs/api.md):
// the same answers as the same frames in JSON, for skeleton (one body, several, 2D-less full frames), raw
// and rate-sampled models, with the options in the query; hostile bodies and headers are refused with a 4xx
// naming the field, bounded before anything is allocated. And the JSON fast path of the predict body
// parser gives exactly what the zod schema gives.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { parse as parseQuery } from 'node:querystring';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import {
  parseBody,
  parsePredictQuery,
  parsePredictRequest,
  predictQuerySchema,
  predictRequestSchema,
} from '../src/serve/schemas.js';
import { modelDir, rawFrames, SKELETON_JOINTS, serveApp, skeletonFrames } from './helpers/models.js';

let dir: string;
let served: Awaited<ReturnType<typeof serveApp>>;
const RATE = { kind: 'rate', fps: 10, window: 8 };
before(async () => {
  dir = modelDir({
    'skel.onnx': { kind: 'skeleton', name: 'skel', seed: 3 },
    'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 },
    'ratey.onnx': { kind: 'skeleton', name: 'ratey', seed: 5, metadata: { sampling: JSON.stringify(RATE) } },
  });
  served = await serveApp(dir, { options: { maxFrames: 100, maxBodyBytes: 64 * 1024 } });
});
after(async () => {
  await served.registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

function postBinary(model: string, body: Buffer, shape?: string, query = '') {
  const r = request(served.app)
    .post(`/v1/models/${model}/predict${query}`)
    .set('Content-Type', 'application/octet-stream');
  if (shape !== undefined) r.set('X-Frames-Shape', shape);
  return r.send(body);
}

function postJson(model: string, body: object) {
  return request(served.app).post(`/v1/models/${model}/predict`).send(body);
}

/** What a parser gives, or the message it throws (to compare two parsers on the same input). */
function outcome(parse: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: parse() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('binary predict bodies give the JSON answers', () => {
  it('one body T,J,3 and two bodies T,B,J,3, with topK and timeline from the query', async () => {
    for (const bodies of [1, 2]) {
      const frames = skeletonFrames(17, 40 + bodies, bodies);
      const json = await postJson('skel', { frames, topK: 3, timeline: true }).expect(200);
      const shape = bodies === 1 ? `17,${SKELETON_JOINTS},3` : `17,2,${SKELETON_JOINTS},3`;
      const bin = await postBinary('skel', f32(frames.flat(3) as number[]), shape, '?topK=3&timeline=true').expect(200);
      assert.deepEqual(bin.body, json.body);
      assert.equal(bin.body.predictions[0].topK.length, 3);
      assert.equal(bin.body.predictions[0].timeline.length, 17);
    }
  });

  it('without the header: full frames (bodies x joints x 3, an absent body as zeros), as in a stream', async () => {
    const frames = skeletonFrames(9, 7, 1) as number[][][];
    const json = await postJson('skel', { frames }).expect(200);
    const zeros = new Array(SKELETON_JOINTS * 3).fill(0);
    const full = frames.flatMap((f) => [...f.flat(), ...zeros]);
    const bin = await postBinary('skel', f32(full)).expect(200);
    assert.deepEqual(bin.body, json.body);
  });

  it('raw rows T,D and a rate-sampled model at a declared frameRate', async () => {
    const rows = rawFrames(12, 6, 9);
    const json = await postJson('rows', { frames: rows, topK: 2 }).expect(200);
    assert.deepEqual((await postBinary('rows', f32(rows.flat()), '12,6', '?topK=2').expect(200)).body, json.body);
    const frames = skeletonFrames(40, 11, 1);
    const rated = await postJson('ratey', { frames, frameRate: 20 }).expect(200);
    const bin = await postBinary('ratey', f32(frames.flat(2) as number[]), `40,${SKELETON_JOINTS},3`, '?frameRate=20');
    assert.equal(bin.status, 200);
    assert.deepEqual(bin.body, rated.body);
  });
});

describe('hostile binary bodies: 4xx naming the field', () => {
  const one = f32((skeletonFrames(4, 1, 1) as number[][][]).flat(2));
  const refused = async (r: request.Test, status: number, code: string, field: string) => {
    const res = await r;
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error.code, code, res.body.error.message);
    assert.equal(res.body.error.details.field, field, res.body.error.message);
    return res.body.error.message as string;
  };

  it('a body of the wrong length for its shape, or not whole frames without a header', async () => {
    const msg = await refused(
      postBinary('skel', one.subarray(0, one.length - 4), `4,${SKELETON_JOINTS},3`),
      400,
      'invalid_shape',
      '(body)',
    );
    assert.match(msg, /1196 bytes.*needs 1200/);
    await refused(postBinary('skel', one, `5,${SKELETON_JOINTS},3`), 400, 'invalid_shape', '(body)');
    const three = f32((skeletonFrames(3, 1, 1) as number[][][]).flat(2));
    await refused(postBinary('skel', three), 400, 'invalid_shape', '(body)'); // 3 x 75 values: not 150-value frames
    await refused(
      postBinary('skel', Buffer.alloc(0), `0,${SKELETON_JOINTS},3`),
      400,
      'empty_sequence',
      'X-Frames-Shape',
    );
    await refused(postBinary('skel', Buffer.alloc(0)), 400, 'empty_sequence', '(body)');
  });

  it('NaN and infinities, named as the JSON element', async () => {
    const values = new Float32Array(one.buffer.slice(one.byteOffset, one.byteOffset + one.byteLength));
    values[(2 * SKELETON_JOINTS + 3) * 3 + 1] = Number.NaN;
    const msg = await refused(
      postBinary('skel', Buffer.from(values.buffer), `4,${SKELETON_JOINTS},3`),
      400,
      'non_finite_value',
      'frames[2][3][1]',
    );
    assert.match(msg, /NaN/);
    const rows = new Float32Array(12).fill(1);
    rows[11] = Number.POSITIVE_INFINITY;
    await refused(postBinary('rows', Buffer.from(rows.buffer), '2,6'), 400, 'non_finite_value', 'frames[1][5]');
  });

  it('huge, malformed or mismatching shape headers, before anything is allocated', async () => {
    // 1e9 frames in a 1.2 kB body: refused on the header against --max-frames (100 here).
    const msg = await refused(
      postBinary('skel', one, `999999999,${SKELETON_JOINTS},3`),
      400,
      'too_many_frames',
      'X-Frames-Shape',
    );
    assert.match(msg, /999999999 frames, the limit is 100/);
    for (const bad of ['', 'abc', '4', '4,25,3,3,3', '-4,25,3', '4.5,25,3', '9999999999,25,3', '4;25;3'])
      await refused(postBinary('skel', one, bad), 400, 'invalid_field', 'X-Frames-Shape');
    await refused(postBinary('skel', one, '4,17,3'), 400, 'invalid_shape', 'X-Frames-Shape');
    await refused(postBinary('skel', one, `4,3,${SKELETON_JOINTS},1`), 400, 'invalid_shape', 'X-Frames-Shape');
    await refused(postBinary('skel', one, `4,${SKELETON_JOINTS},2`), 400, 'invalid_shape', 'X-Frames-Shape');
    await refused(postBinary('skel', one, '4,75'), 400, 'invalid_shape', 'X-Frames-Shape');
    await refused(postBinary('rows', one, '4,25,3'), 400, 'invalid_shape', 'X-Frames-Shape');
    await refused(postBinary('rows', one, '4,7'), 400, 'invalid_shape', 'X-Frames-Shape');
  });

  it('options in the query are checked like JSON fields; other media types get 415, too large 413', async () => {
    const shape = `4,${SKELETON_JOINTS},3`;
    await refused(postBinary('skel', one, shape, '?topK=0'), 400, 'invalid_field', 'topK');
    await refused(postBinary('skel', one, shape, '?topK=2&topK=3'), 400, 'invalid_field', 'topK');
    await refused(postBinary('skel', one, shape, '?timeline=yes'), 400, 'invalid_field', 'timeline');
    await refused(postBinary('skel', one, shape, '?frameRate=1e39'), 400, 'invalid_field', 'frameRate');
    await refused(postBinary('skel', one, shape, '?frames=1'), 400, 'invalid_field', '(body)');
    const text = request(served.app).post('/v1/models/skel/predict').set('Content-Type', 'text/plain').send('1,2');
    assert.match(await refused(text, 415, 'unsupported_media_type', 'Content-Type'), /application\/octet-stream/);
    await refused(postBinary('skel', Buffer.alloc(70 * 1024)), 413, 'payload_too_large', undefined as never);
  });
});

describe('the JSON fast path', () => {
  it('parses every body exactly as the zod schema does (the same request or the same error)', () => {
    const value = fc.oneof(
      fc.integer({ min: -2, max: 1002 }),
      fc.double({ noNaN: false }),
      fc.constantFrom(true, false, null, 'x', [], {}, [[1, 2, 3]], 0.5, 1, 30, 1000, 1001),
    );
    const body = fc.oneof(
      fc.record(
        {
          frames: fc.oneof(fc.constant([[[1, 2, 3]]]), value),
          topK: value,
          timeline: value,
          frameRate: value,
          sequences: fc.constantFrom([{ frames: [] }], [], 'x'),
          extra: value,
        },
        { requiredKeys: [] },
      ),
      value,
    );
    fc.assert(
      fc.property(body, (b) => {
        assert.deepEqual(
          outcome(() => parsePredictRequest(b)),
          outcome(() => parseBody(predictRequestSchema, b)),
        );
      }),
      { numRuns: 2000, seed: 19 },
    );
    // Prototype keys as JSON.parse makes them (own properties) take the schema's path too.
    const polluted = JSON.parse('{"frames":[[[1,2,3]]],"__proto__":{"x":1}}');
    assert.deepEqual(
      outcome(() => parsePredictRequest(polluted)),
      outcome(() => parseBody(predictRequestSchema, polluted)),
    );
  });

  it('parses every binary query exactly as the zod schema does', () => {
    const text = fc.constantFrom(
      ...['1', '5', '0', '01', '999', '1000', '1001', '2.5', '-1', '1e3', '', ' 5', '0x10', 'true', 'false'],
      ...['TRUE', '30', '29.97', '1000.0', '0.5', '1e39', 'NaN', 'Infinity', '999.9999999'],
    );
    const query = fc
      .array(fc.tuple(fc.constantFrom('topK', 'timeline', 'frameRate', 'other', '__proto__'), text), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
    fc.assert(
      fc.property(query, (q) => {
        const parsed = parseQuery(q); // what Express's query parser gives
        assert.deepEqual(
          outcome(() => parsePredictQuery(parsed)),
          outcome(() => parseBody(predictQuerySchema, parsed)),
          q,
        );
      }),
      { numRuns: 2000, seed: 19 },
    );
  });
});
