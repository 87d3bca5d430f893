// Configuration: every serve flag also from an INDRNN_* variable (a flag on the command line wins), the
// configuration logged once at start with the token redacted, a bad variable refused naming it; CORS for
// the listed origins only (off by default); gzip for answers from --compress on.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { envName, envSwitch } from '../src/cli/serve.js';
import { CLI } from './helpers/cli.js';
import { modelDir, rawFrames, serveApp } from './helpers/models.js';
import { servedUrl } from './helpers/processes.js';

let dir: string;
before(() => {
  dir = modelDir({ 'raw.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVE = [CLI, 'serve'];

/** `indrnn serve ARGS` on a loopback port, CPU, no reload, the models of `dir`, with `env` over that. */
function serveChild(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [...SERVE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      INDRNN_MODELS: dir,
      INDRNN_HOST: '127.0.0.1',
      INDRNN_PORT: '0',
      INDRNN_DEVICE: 'cpu',
      INDRNN_RELOAD: 'off',
      ...env,
    },
  });
}

/** `indrnn serve` with these variables, expected to stop at once: its exit status and stderr. */
function serveRefused(env: Record<string, string>) {
  return spawnSync(process.execPath, SERVE, {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, INDRNN_MODELS: dir, ...env },
  });
}

describe('environment variables', () => {
  it('every serve flag has its INDRNN_* variable, shown in --help', () => {
    const help = spawnSync(process.execPath, [...SERVE, '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    const flags = [...new Set([...help.matchAll(/ (--[a-z-]+) </g)].map((m) => m[1]))];
    assert.ok(flags.length > 25, `found ${flags.length} flags`);
    for (const flag of flags) assert.ok(help.includes(`env: ${envName(flag)}`), `${flag}: no ${envName(flag)}`);
    // Only variables that do something: --help has none.
    const settings = new Set([...help.matchAll(/ (--[a-z-]+)/g)].map((m) => m[1]).filter((f) => f !== '--help'));
    for (const [, name] of help.matchAll(/env: (INDRNN_[A-Z_]+)/g))
      assert.ok(
        [...settings].some((f) => envName(f) === name),
        `${name} is listed but is no setting's`,
      );
  });

  it('values come from the environment, a flag wins, the configuration is logged once with the token redacted', async () => {
    const secret = 'tok-3f9a';
    const child = serveChild(['--max-frames', '9'], {
      INDRNN_MAX_FRAMES: '5', // the flag (9) wins
      INDRNN_MAX_SEQUENCES: '2',
      INDRNN_TOKEN: secret,
      INDRNN_CORS_ORIGIN: 'https://app.example',
    });
    try {
      const served = servedUrl(child);
      const url = await served.url;
      const post = (body: object) =>
        fetch(`${url}/v1/models/rows/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body: JSON.stringify(body),
        });
      assert.equal((await post({ frames: rawFrames(9, 6, 1) })).status, 200, '9 frames: the flag');
      assert.equal((await post({ frames: rawFrames(10, 6, 1) })).status, 400);
      const three = { sequences: [1, 2, 3].map((i) => ({ frames: rawFrames(2, 6, i) })) };
      assert.equal((await post(three)).status, 400, 'INDRNN_MAX_SEQUENCES=2');
      assert.equal((await fetch(`${url}/v1/models`)).status, 401, 'INDRNN_TOKEN');
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(!served.output().includes(secret), 'the token never reaches the log');
      const configs = served
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'configuration');
      assert.equal(configs.length, 1);
      const { config } = configs[0];
      assert.equal(config.maxFrames, 9);
      assert.equal(config.maxSequences, 2);
      assert.equal(config.token, undefined);
      assert.equal(config.auth, 'bearer token ([redacted])');
      assert.deepEqual(config.corsOrigins, ['https://app.example']);
      assert.equal(config.from.maxFrames, 'cli');
      assert.equal(config.from.maxSequences, 'env');
      assert.equal(config.from.maxBatch, undefined, 'defaults are not listed as sources');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('logs are JSON lines on a pipe, human-readable with --log-format pretty (INDRNN_LOG_FORMAT)', async () => {
    for (const env of [{}, { INDRNN_LOG_FORMAT: 'pretty' }] as Record<string, string>[]) {
      const child = serveChild([], env);
      try {
        const served = servedUrl(child);
        await fetch(`${await served.url}/healthz`);
        const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
        const lines = served.output().trim().split('\n');
        if ('INDRNN_LOG_FORMAT' in env) {
          for (const l of lines) assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN ) \S/);
          assert.ok(lines.some((l) => / INFO {2}request {2}reqId=\S+ {2}method=GET {2}url=\/healthz/.test(l)));
        } else for (const l of lines) assert.equal(typeof JSON.parse(l).msg, 'string');
      } finally {
        child.kill('SIGKILL');
      }
    }
  });

  it('--model-control explicit lets the repository API unload a model; by default 403; a bad INDRNN_MODEL_CONTROL stops', async () => {
    for (const [control, status] of [
      [undefined, 403],
      ['explicit', 200],
    ] as const) {
      const child = serveChild(control ? ['--model-control', control] : []);
      try {
        const url = await servedUrl(child).url;
        const r = await fetch(`${url}/v2/repository/models/rows/unload`, { method: 'POST' });
        assert.equal(r.status, status, `model control ${control ?? 'default'}`);
        if (status === 403) assert.equal(r.headers.get('x-error-code'), 'forbidden');
      } finally {
        child.kill('SIGKILL');
      }
    }
    const bad = serveRefused({ INDRNN_MODEL_CONTROL: 'sometimes' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /INDRNN_MODEL_CONTROL/);
  });

  it('with training jobs on, onnxruntime gets one thread per model unless --threads says otherwise', async () => {
    const threadsOf = async (args: string[], env: Record<string, string>) => {
      const child = serveChild(args, env);
      try {
        const served = servedUrl(child);
        await served.url;
        const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
        const config = served
          .output()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .find((l) => l.msg === 'configuration')?.config;
        return config.threads;
      } finally {
        child.kill('SIGKILL');
      }
    };
    assert.equal(await threadsOf([], { INDRNN_TRAINING: '1' }), 1, 'a job gets the other core');
    assert.equal(await threadsOf(['--training', '--threads', '2'], {}), 2, 'a given --threads wins');
    assert.equal(await threadsOf([], {}), 0, 'without training: one per core, as before');
  });

  it('a switch from its variable: INDRNN_TRAINING=0 (or false, no, off, empty) leaves training jobs off', () => {
    for (const off of [undefined, '', '0', 'false', 'No', 'OFF', ' 0 '])
      assert.equal(envSwitch(off), false, String(off));
    for (const on of ['1', 'true', 'yes', 'on']) assert.equal(envSwitch(on), true, on);
  });

  it('a bad value in a variable stops the server, naming the variable', () => {
    const r = serveRefused({ INDRNN_MAX_BATCH: 'lots' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /INDRNN_MAX_BATCH/);
    assert.match(r.stderr, /lots/);
  });
});

describe('CORS', () => {
  it('off by default: no Access-Control headers', async () => {
    const s = await serveApp(dir);
    try {
      const r = await request(s.app).get('/v1/models').set('Origin', 'https://app.example').expect(200);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    } finally {
      await s.registry.close();
    }
  });

  it('the listed origins may call, preflight included and before the token check; others get no grant', async () => {
    const s = await serveApp(dir, { options: { corsOrigins: ['https://app.example'], token: 'x' } });
    try {
      const pre = await request(s.app)
        .options('/v1/models/rows/predict')
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type')
        .expect(204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(pre.headers['access-control-allow-headers'], /Authorization/);
      assert.match(pre.headers['access-control-allow-methods'], /POST/);
      const r = await request(s.app)
        .get('/v1/models')
        .set('Origin', 'https://app.example')
        .set('Authorization', 'Bearer x')
        .expect(200);
      assert.equal(r.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(r.headers['access-control-expose-headers'], /X-Request-Id/);
      const other = await request(s.app).get('/healthz').set('Origin', 'https://evil.example').expect(200);
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await s.registry.close();
    }
  });
});

describe('compression', () => {
  /** GET path accepting gzip (supertest decompresses the body; the header tells what was sent). */
  const raw = (app: Parameters<typeof request>[0], path: string) =>
    request(app).get(path).set('Accept-Encoding', 'gzip');

  it('JSON answers from the threshold on are gzipped for clients that accept it; small ones are not', async () => {
    const s = await serveApp(dir);
    try {
      const big = await raw(s.app, '/openapi.json').expect(200);
      assert.equal(big.headers['content-encoding'], 'gzip');
      assert.equal(big.body.openapi, '3.1.0');
      const small = await raw(s.app, '/healthz').expect(200);
      assert.equal(small.headers['content-encoding'], undefined);
      const plain = await request(s.app).get('/openapi.json').set('Accept-Encoding', 'identity').expect(200);
      assert.equal(plain.headers['content-encoding'], undefined);
    } finally {
      await s.registry.close();
    }
  });

  it('--compress off: never', async () => {
    const s = await serveApp(dir, { options: { compressMinBytes: null } });
    try {
      const r = await raw(s.app, '/openapi.json').expect(200);
      assert.equal(r.headers['content-encoding'], undefined);
    } finally {
      await s.registry.close();
    }
  });
});
