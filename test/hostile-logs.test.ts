// Secrets never in logs (issue 11): a token given as ?token= (streams accept it) or in Authorization
// does not reach the request log, whatever the request and its answer.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { LOG_REDACT, type RunningServer } from '../src/server.js';
import { redactUrl, STREAM_TOKEN_PARAM } from '../src/util/query-secrets.js';
import { modelDir, rawFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const SECRET = 's3cr3t-t0ken-value';
const lines: string[] = [];
let lineWritten: (() => void) | null = null;
/** What `find` finds in the log, once written (a request's line comes once its answer is sent). */
async function whenLogged<T>(find: () => T | undefined): Promise<T> {
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise<void>((resolve) => {
      lineWritten = resolve;
    });
  }
}
let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
  const logger = pino(
    { level: 'debug', redact: LOG_REDACT },
    {
      write: (s: string) => {
        lines.push(s);
        lineWritten?.();
      },
    },
  );
  srv = await startLoopbackServer(dir, { token: SECRET, logLevel: 'debug', drainTimeoutMs: 1000 }, logger);
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets in logs', () => {
  it('redactUrl hides the values of token-like query parameters only', () => {
    assert.equal(redactUrl('/v1/models/a?token=abc&x=1'), '/v1/models/a?token=[redacted]&x=1');
    assert.equal(redactUrl('/s?x=1&TOKEN=abc#f'), '/s?x=1&TOKEN=[redacted]#f');
    assert.equal(redactUrl('/s?api_key=k&access_token=t'), '/s?api_key=[redacted]&access_token=[redacted]');
    assert.equal(redactUrl('/s?tokens=1&mytoken=2'), '/s?tokens=1&mytoken=2');
  });

  it('no request, refusal or stream puts the token in a log line', async () => {
    const url = srv.url;
    await fetch(`${url}/v1/models/rows?token=${SECRET}`); // 401: the token is not accepted in HTTP queries
    await fetch(`${url}/v1/models/%ff?token=${SECRET}`, { headers: { authorization: `Bearer ${SECRET}` } });
    await fetch(`${url}/v1/models/rows/predict?token=${SECRET}&x=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ frames: rawFrames(2, 6, 1) }),
    });
    await fetch(`${url}/nope?token=${SECRET}`);
    const c = await StreamClient.open(`${url.replace('http', 'ws')}/v1/models/rows/stream?token=${SECRET}`);
    c.send({ type: 'frames', frames: rawFrames(2, 6, 2) });
    await c.predictions(2);
    c.close();
    await c.whenClosed();
    const requests = await whenLogged(() => {
      const logged = lines.filter((l) => l.includes('"msg":"request"'));
      return logged.length >= 4 ? logged : undefined;
    });
    assert.ok(requests.some((l) => l.includes('token=[redacted]')));
    for (const l of lines) assert.ok(!l.includes(SECRET), `a log line holds the token: ${l}`);
  });

  it('a percent-encoded name is redacted as the name it decodes to (issue 24)', () => {
    assert.equal(redactUrl(`/v1/models?tok%65n=${SECRET}`), '/v1/models?tok%65n=[redacted]');
    assert.equal(redactUrl(`/s?x=1&%74%6F%6B%65%6E=${SECRET}&y=2`), '/s?x=1&%74%6F%6B%65%6E=[redacted]&y=2');
    assert.equal(redactUrl(`/s?api%5Fkey=${SECRET}`), '/s?api%5Fkey=[redacted]');
    assert.equal(redactUrl('/s?to+ken=1&tok%ffen=2&%=3'), '/s?to+ken=1&tok%ffen=2&%=3', 'other names as they are');
  });

  it('whatever spelling of the name a stream reads as its token, the log redacts (generated)', () => {
    // Each character of `token` as it is, or percent-encoded in upper or lower case hex.
    const spelling = fc.array(fc.constantFrom('plain', 'upper', 'lower'), { minLength: 5, maxLength: 5 }).map((how) =>
      [...STREAM_TOKEN_PARAM]
        .map((ch, i) => {
          const hex = ch.charCodeAt(0).toString(16);
          return how[i] === 'plain' ? ch : `%${how[i] === 'upper' ? hex.toUpperCase() : hex}`;
        })
        .join(''),
    );
    fc.assert(
      fc.property(spelling, fc.constantFrom('', 'a=1&', 'token=&'), (name, before) => {
        const target = `/v1/models/rows/stream?${before}${name}=${SECRET}`;
        const read = new URL(target, 'http://x').searchParams.getAll(STREAM_TOKEN_PARAM);
        assert.ok(read.includes(SECRET), `${target}: the stream check reads the token`);
        assert.ok(!redactUrl(target).includes(SECRET), `${target} is logged as ${redactUrl(target)}`);
      }),
      { seed: 24009, numRuns: 200 },
    );
  });

  it('GET ?tok%65n=<token> is logged redacted; a stream given it the same way opens', async () => {
    const r = await fetch(`${srv.url}/v1/models?x=24&tok%65n=${SECRET}`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    assert.equal(r.status, 200);
    await r.text();
    const line = await whenLogged(() => lines.find((l) => l.includes('"msg":"request"') && l.includes('x=24&')));
    assert.match(line, /"url":"\/v1\/models\?x=24&tok%65n=\[redacted\]"/);
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/rows/stream?tok%65n=${SECRET}`);
    c.close();
    await c.whenClosed();
    for (const l of lines) assert.ok(!l.includes(SECRET), `a log line holds the token: ${l}`);
  });

  it('Authorization and token fields are redacted wherever a logged object holds them', () => {
    const out: string[] = [];
    const logger = pino({ redact: LOG_REDACT }, { write: (s: string) => out.push(s) });
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}` } }, config: { token: SECRET } }, 'x');
    logger.info({ authorization: SECRET, token: SECRET }, 'y');
    assert.equal(out.length, 2);
    for (const l of out) assert.ok(!l.includes(SECRET), l);
  });
});
