// Secrets never in logs (issue 11): a token given as ?token= (streams accept it) or in Authorization
// does not reach the request log, whatever the request and its answer.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { redactUrl } from '../src/serve/middleware/observe.js';
import { LOG_REDACT, type RunningServer } from '../src/server.js';
import { modelDir, rawFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const SECRET = 's3cr3t-t0ken-value';
const lines: string[] = [];
let dir: string;
let srv: RunningServer;
before(async () => {
  dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
  const logger = pino({ level: 'debug', redact: LOG_REDACT }, { write: (s: string) => lines.push(s) });
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
    const requests = lines.filter((l) => l.includes('"msg":"request"'));
    assert.ok(requests.length >= 4, `${requests.length} request lines`);
    assert.ok(requests.some((l) => l.includes('token=[redacted]')));
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
