// Training jobs end to end (indrnn serve --training): recorded takes in, a served model out (a new model or
// the next version of a name, on disk with its card), progress as events; every bound and error named by
// field; cancel, the queue, shutdown and the token. Tiny networks and few epochs keep each job a few seconds.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { cameraTake, cameraTakes } from './helpers/camera-takes.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

const TINY = { hidden: 16, depth: 1 };

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(url: string, method: string, body?: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

/** The job's events until it ends: every Job the stream sent. */
async function follow(base: string, id: string, token?: string): Promise<any[]> {
  const r = await fetch(`${base}/v1/jobs/${id}/events`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await r.text(); // the server ends the stream when the job ends
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

/** Waits (by events, not time) until `test` holds for the job, or it ends. */
async function waitFor(base: string, id: string, test: (job: any) => boolean): Promise<any> {
  const r = await fetch(`${base}/v1/jobs/${id}/events`);
  const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`job ${id} ended before the awaited state`);
    buffer += value;
    for (const line of buffer.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const job = JSON.parse(line.slice(6));
      if (test(job)) {
        await reader.cancel();
        return job;
      }
    }
    buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
  }
}

const takes = (perAction: number, seconds: number, nothing = false, seed = 1) =>
  cameraTakes(perAction, seconds, nothing, seed);

describe('training jobs', () => {
  let models: string;
  let jobsTmp: string;
  let server: RunningServer;
  before(async () => {
    models = modelDir({ 'base.onnx': { kind: 'skeleton', name: 'base', seed: 3, depth: 1, hiddenSize: 8 } });
    jobsTmp = mkdtempSync(join(tmpdir(), 'indrnn-jobs-'));
    server = await startLoopbackServer(models, {
      training: {
        ...TINY,
        tmpDir: jobsTmp,
        limits: { maxQueued: 1, maxSamples: 40, maxFramesPerSample: 200, maxTotalFrames: 3000, maxEpochs: 2000 },
      },
    });
  });
  after(() => server.shutdown('test done'));

  it('trains recorded takes into a served model, with progress events, a card, and the next version after', async () => {
    const posted = await call(`${server.url}/v1/jobs`, 'POST', { name: 'my-actions', samples: takes(3, 1), epochs: 3 });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    assert.equal(posted.headers.get('location'), `/v1/jobs/${posted.body.id}`);
    const events = await follow(server.url, posted.body.id);
    const last = events.at(-1);
    assert.equal(last.state, 'done', JSON.stringify(last));
    assert.ok(
      events.some((e) => e.state === 'running' && e.stage === 'train'),
      'a train stage event',
    );
    const progress = events.map((e) => e.progress);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress never goes back',
    );
    const job = (await call(`${server.url}/v1/jobs/${posted.body.id}`, 'GET')).body;
    assert.deepEqual([job.state, job.progress, job.model, job.version, job.eta], ['done', 1, 'my-actions', '1', null]);
    assert.deepEqual(job.actions, ['arms up', 'lean', 'squat']);
    assert.equal(job.metrics.metric, 'accuracy');
    assert.equal(typeof job.metrics.test, 'number');
    assert.equal(typeof job.metrics.seconds.total, 'number');
    // Served now, without a restart, and on disk in the model directory with its card.
    const info = await call(`${server.url}/v1/models/my-actions`, 'GET');
    assert.equal(info.status, 200);
    assert.deepEqual(
      info.body.labels.map((l: { name: string }) => l.name),
      ['arms up', 'lean', 'squat'],
    );
    const frames = cameraTake(0, 30, 99).frames;
    const answer = await call(`${server.url}/v1/models/my-actions/predict`, 'POST', { frames });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(['arms up', 'lean', 'squat'].includes(answer.body.predictions[0].label));
    assert.ok(existsSync(join(models, 'my-actions', '1', 'model.onnx')));
    assert.match(readFileSync(join(models, 'my-actions', '1', 'model.md'), 'utf8'), /# my-actions \(version 1\)/);
    assert.deepEqual(readdirSync(join(models, 'my-actions')), ['1'], 'no staging folder left');
    assert.deepEqual(readdirSync(jobsTmp), [], 'temporary files removed');
    // The same name again: version 2, served beside version 1.
    const again = await call(`${server.url}/v1/jobs`, 'POST', {
      name: 'my-actions',
      samples: takes(2, 1, false, 2),
      epochs: 2,
    });
    assert.equal((await follow(server.url, again.body.id)).at(-1).version, '2');
    const v2 = await call(`${server.url}/v2/models/my-actions`, 'GET');
    assert.deepEqual(v2.body.versions, ['1', '2']);
    const list = (await call(`${server.url}/v1/jobs`, 'GET')).body.jobs;
    assert.deepEqual(
      list.map((j: { id: string }) => j.id),
      [again.body.id, posted.body.id],
      'newest first',
    );
  });

  it('takes of nothing train the background class of a streaming model, in the base model layout', async () => {
    const posted = await call(`${server.url}/v1/jobs`, 'POST', {
      name: 'with-background',
      base: 'base',
      samples: takes(2, 1, true, 3),
      epochs: 2,
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const job = (await follow(server.url, posted.body.id)).at(-1);
    assert.equal(job.state, 'done', JSON.stringify(job));
    assert.equal(job.background, true);
    const info = (await call(`${server.url}/v1/models/with-background`, 'GET')).body;
    assert.deepEqual(
      info.labels.map((l: { name: string }) => l.name),
      ['arms up', 'lean', 'squat', 'no action'],
    );
    assert.equal(info.layout, 'ntu25');
    assert.equal(info.sampling.kind, 'rate');
  });

  it('refuses every bad request with a 4xx naming the field, before anything is queued', async () => {
    const good = takes(1, 0.5);
    const bad = structuredClone(good);
    (bad[1].frames as unknown[][])[10][2] = 'x';
    // kinect20 takes cannot become the base model's ntu25 joints (only MediaPipe's convert).
    const kinect = good.map((t) => ({
      ...t,
      layout: 'kinect20',
      frames: (t.frames as unknown[][]).map((f) => f.slice(0, 20)),
    }));
    const cases: [unknown, number, string, string][] = [
      [{ name: '../escape', samples: good }, 400, 'invalid_field', 'name'],
      [{ name: 'a/b', samples: good }, 400, 'invalid_field', 'name'],
      [{ name: 'ok', samples: good, epochs: 0 }, 400, 'invalid_field', 'epochs'],
      [{ name: 'ok', samples: good, epochs: 2001 }, 400, 'invalid_field', 'epochs'],
      [{ name: 'ok', samples: good, epochs: 2.5 }, 400, 'invalid_field', 'epochs'],
      [{ name: 'ok', samples: [good[0]] }, 400, 'invalid_field', 'samples'],
      [{ name: 'ok', samples: Array(41).fill(good[0]) }, 400, 'invalid_field', 'samples'],
      [{ name: 'ok', samples: [good[0], cameraTake(1, 201, 5)] }, 400, 'too_many_frames', 'samples[1].frames'],
      [{ name: 'ok', samples: Array(20).fill(cameraTake(1, 160, 5)) }, 400, 'too_many_frames', 'samples'],
      [{ name: 'ok', samples: bad }, 400, 'invalid_field', 'samples[1].frames[10][2]'],
      [{ name: 'ok', samples: [good[0], { ...good[1], layout: 'hand21' }] }, 400, 'invalid_field', 'samples[1].layout'],
      [
        { name: 'ok', samples: [good[0], { ...good[1], layout: 'coco17' }] },
        400,
        'invalid_field',
        'samples[1].frames[0]',
      ],
      [{ name: 'ok', samples: [good[0], { ...good[1], frames: [] }] }, 400, 'invalid_field', 'samples[1]'],
      [{ name: 'ok', samples: [good[0], { ...good[0], id: 'again' }] }, 400, 'invalid_field', 'samples'],
      [{ name: 'ok', samples: good, base: 'nope' }, 404, 'model_not_found', 'base'],
      [{ name: 'ok', samples: kinect, base: 'base' }, 400, 'invalid_field', 'base'],
      [{ name: 'ok', samples: good, extra: 1 }, 400, 'invalid_field', '(body)'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await call(`${server.url}/v1/jobs`, 'POST', body);
      const what = `${JSON.stringify(body).slice(0, 80)} -> ${JSON.stringify(r.body)}`;
      assert.equal(r.status, status, what);
      assert.equal(r.body.error.code, code, what);
      assert.equal(r.body.error.details.field, field, what);
      assert.ok(r.body.error.message.includes(field === '(body)' ? 'extra' : field), what);
    }
    const unknown = await call(`${server.url}/v1/jobs/no-such-job`, 'GET');
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'job_not_found']);
    const cancelUnknown = await call(`${server.url}/v1/jobs/no-such-job`, 'DELETE');
    assert.deepEqual([cancelUnknown.status, cancelUnknown.body.error.code], [404, 'job_not_found']);
  });

  it('runs one job at a time with a bounded queue; cancel stops a queued or running job and removes its files', async () => {
    const long = { name: 'long', samples: takes(2, 1, false, 4), epochs: 2000 };
    const first = await call(`${server.url}/v1/jobs`, 'POST', long);
    const second = await call(`${server.url}/v1/jobs`, 'POST', long);
    assert.deepEqual([first.status, second.status], [202, 202]);
    const third = await call(`${server.url}/v1/jobs`, 'POST', long);
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'too_many_jobs');
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    await waitFor(server.url, first.body.id, (j) => j.stage === 'train');
    assert.equal((await call(`${server.url}/v1/jobs/${second.body.id}`, 'GET')).body.state, 'queued');
    const queued = await call(`${server.url}/v1/jobs/${second.body.id}`, 'DELETE');
    assert.equal(queued.body.state, 'cancelled');
    await call(`${server.url}/v1/jobs/${first.body.id}`, 'DELETE');
    const ended = (await follow(server.url, first.body.id)).at(-1);
    assert.equal(ended.state, 'cancelled');
    assert.ok(!existsSync(join(models, 'long')), 'no model written');
    assert.deepEqual(readdirSync(jobsTmp), [], 'temporary files removed');
    // A finished job is left as it is.
    const again = await call(`${server.url}/v1/jobs/${first.body.id}`, 'DELETE');
    assert.deepEqual([again.status, again.body.state], [200, 'cancelled']);
  });
});

describe('training jobs: off, token, shutdown', () => {
  it('are off by default: 403 forbidden saying how to turn them on', async () => {
    const server = await startLoopbackServer(
      modelDir({ 'base.onnx': { kind: 'skeleton', name: 'base', depth: 1, hiddenSize: 8 } }),
    );
    try {
      for (const [method, path] of [
        ['POST', '/v1/jobs'],
        ['GET', '/v1/jobs'],
        ['GET', '/v1/jobs/x'],
        ['DELETE', '/v1/jobs/x'],
        ['GET', '/v1/jobs/x/events'],
      ]) {
        const r = await call(
          `${server.url}${path}`,
          method,
          method === 'POST' ? { name: 'x', samples: [] } : undefined,
        );
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.match(r.body.error.message, /--training/);
      }
    } finally {
      await server.shutdown('test done');
    }
  });

  it('need the token when the server has one; shutdown kills the running job and removes its files', async () => {
    const models = modelDir({ 'base.onnx': { kind: 'skeleton', name: 'base', depth: 1, hiddenSize: 8 } });
    const jobsTmp = mkdtempSync(join(tmpdir(), 'indrnn-jobs-'));
    const server = await startLoopbackServer(models, { token: 's3cret', training: { ...TINY, tmpDir: jobsTmp } });
    const body = { name: 'cut', samples: takes(2, 1, false, 5), epochs: 500 };
    try {
      const refused = await call(`${server.url}/v1/jobs`, 'POST', body);
      assert.deepEqual([refused.status, refused.body.error.code], [401, 'unauthorized']);
      assert.equal((await call(`${server.url}/v1/jobs`, 'GET')).status, 401);
      const posted = await call(`${server.url}/v1/jobs`, 'POST', body, 's3cret');
      assert.equal(posted.status, 202);
      const events = fetch(`${server.url}/v1/jobs/${posted.body.id}/events`, {
        headers: { authorization: 'Bearer s3cret' },
      });
      const reader = (await events).body!.pipeThrough(new TextDecoderStream()).getReader();
      let seen = '';
      while (!seen.includes('"stage":"train"')) seen += (await reader.read()).value ?? '';
      await server.shutdown('test');
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      assert.match(seen, /"state":"cancelled"/);
      assert.deepEqual(readdirSync(jobsTmp), []);
      assert.ok(!existsSync(join(models, 'cut')));
    } finally {
      await server.shutdown('test done');
    }
  });
});
