// Online detection over a real server: a detection model (background label) built so that its output
// follows its input (class c when the frame is 6 * one-hot(c)), streamed at 30 fps and resampled to 10
// steps/s. Action start/end events on a constructed stream with known intervals, the same segments from
// HTTP predict ("segments": true), background on an idle stream, reset mid-action, the decision rule as
// config fields, and `background` in GET /v1/models/{name}.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { foldNetwork } from '../src/export/fold.js';
import { buildOnnxModel } from '../src/export/loop-graph.js';
import { networkMetadata } from '../src/export/network-to-onnx.js';
import { ReferenceBackend } from '../src/nn/backend.js';
import { Network, type NetworkConfig } from '../src/nn/network.js';
import { DEFAULT_DECISION_RULE } from '../src/predict/segments.js';
import type { RunningServer } from '../src/server.js';
import { indrnn } from './helpers/cli.js';
import { modelDir } from './helpers/models.js';
import { postPredict, startLoopbackServer } from './helpers/server.js';
import { StreamClient } from './helpers/stream.js';

const K = 3;
const BACKGROUND = 2;

/** One plain IndRNN layer with identity weights and u = 0: logits = relu(x) (BN folds to ~identity). */
function detectorBytes(): Uint8Array {
  const config: NetworkConfig = {
    arch: 'plain',
    inputSize: K,
    hiddenSize: K,
    depth: 1,
    numOutputs: K,
    readout: 'all',
    dropout: 0,
    batchNorm: true,
    mag: 5,
    seqLen: 20,
    clipRecurrent: true,
  };
  const net = new Network(config, new ReferenceBackend());
  for (const p of net.store.params) {
    p.value.fill(0);
    if (p.name.endsWith('fc.weight') || p.name === 'classifier.weight')
      for (let i = 0; i < K; i++) p.value[i * K + i] = 1;
    if (p.name.endsWith('bn.gamma') || p.name.endsWith('running_var')) p.value.fill(1);
  }
  const meta = networkMetadata(config, {
    name: 'det',
    contract: {
      task_kind: 'classification',
      labels: [{ name: 'wave' }, { name: 'kick' }, { name: 'no action' }],
      frame_rate: 30,
      window: 8,
      sampling: { kind: 'rate', fps: 10, window: 8 },
      background: 'no action',
    },
    training: { task: { name: 'raw' }, note: 'constructed detector (test model)' },
    sourceCheckpoint: 'constructed',
  });
  return buildOnnxModel(foldNetwork(config, net.store), meta);
}

/** Frames (rows of K values) from runs [[class, frames], ...]: 6 * one-hot(class). */
function stream(...runs: [number, number][]): number[][] {
  return runs.flatMap(([c, n]) =>
    Array.from({ length: n }, () => Array.from({ length: K }, (_, k) => (k === c ? 6 : 0))),
  );
}

let dir: string;
let srv: RunningServer;
let ws: string;
before(async () => {
  dir = modelDir({ 'det.onnx': detectorBytes(), 'rows.onnx': { kind: 'raw', name: 'rows', seed: 2, inputSize: 3 } });
  srv = await startLoopbackServer(dir, { batch: { maxBatch: 32, maxDelayMs: 0, maxQueue: 1024 } });
  ws = srv.url.replace('http', 'ws');
});
after(async () => {
  await srv.shutdown('test end');
  rmSync(dir, { recursive: true, force: true });
});

const post = (model: string, body: unknown) => postPredict(srv.url, model, body);

/** Streams `frames` in messages of 10, waits for every step's prediction; returns the client. */
async function streamed(frames: number[][], config: object = {}): Promise<StreamClient> {
  const c = await StreamClient.open(`${ws}/v1/models/det/stream`);
  if (Object.keys(config).length > 0) {
    c.send({ type: 'config', ...config });
    await c.until((m) => m.type === 'config');
  }
  for (let i = 0; i < frames.length; i += 10) c.send({ type: 'frames', frames: frames.slice(i, i + 10) });
  await c.predictions(Math.floor(((frames.length - 1) * 10) / 30) + 1);
  return c;
}

const actions = (c: StreamClient) => c.messages.filter((m) => m.type === 'action');

describe('action events on a stream of a detection model', () => {
  // True actions: wave at frames 90-209, kick at frames 300-389, the rest no action.
  const frames = stream([BACKGROUND, 90], [0, 120], [BACKGROUND, 90], [1, 90], [BACKGROUND, 60]);

  it('GET /v1/models/{name} names the background label (null for a plain classifier)', async () => {
    const det = await (await fetch(`${srv.url}/v1/models/det`)).json();
    assert.equal(det.background, 'no action');
    const rows = await (await fetch(`${srv.url}/v1/models/rows`)).json();
    assert.equal(rows.background, null);
  });

  it('start and end events within the documented tolerance of the true intervals, the same as HTTP segments', async () => {
    const c = await streamed(frames);
    const ready = c.messages[0];
    assert.deepEqual(
      [ready.config.smoothing, ready.config.startThreshold, ready.config.endThreshold, ready.config.minSteps],
      [0.5, 0.6, 0.4, 3],
    );
    const events = actions(c);
    assert.deepEqual(
      events.map((e) => [e.event, e.label, e.index]),
      [
        ['start', 'wave', 0],
        ['end', 'wave', 0],
        ['start', 'kick', 1],
        ['end', 'kick', 1],
      ],
    );
    // docs/streaming.md: with the default rule, within 2 steps (6 frames at 30 fps) of a clean transition.
    const truth = [
      [90, 209],
      [300, 389],
    ];
    for (const [i, [start, end]] of truth.entries()) {
      const s = events[2 * i];
      const e = events[2 * i + 1];
      assert.ok(Math.abs(s.frame - start) <= 6, `start ${s.frame} vs ${start}`);
      assert.equal(e.startFrame, s.frame);
      assert.ok(Math.abs(e.frame - end) <= 6, `end ${e.frame} vs ${end}`);
      assert.ok(s.probability > 0.8 && e.probability > 0.8, `${s.probability} ${e.probability}`);
    }
    // The start event comes right after the prediction of the step that confirmed it (minSteps - 1 later).
    const i = c.messages.indexOf(events[0]);
    assert.equal(c.messages[i - 1].type, 'prediction');
    assert.equal(c.messages[i - 1].frame, events[0].frame + 2 * 3);
    c.close();

    const http = await post('det', { frames, segments: true });
    assert.equal(http.status, 200, JSON.stringify(http.body));
    const segs = http.body.predictions[0].segments;
    assert.deepEqual(
      segs.map((s: any) => [s.label, s.index, s.startFrame, s.endFrame, s.probability]),
      [0, 1].map((k) => [
        events[2 * k + 1].label,
        events[2 * k + 1].index,
        events[2 * k + 1].startFrame,
        events[2 * k + 1].frame,
        events[2 * k + 1].probability,
      ]),
    );
    assert.equal(segs[0].announcedFrame, c.messages[i - 1].frame);
  });

  it('an action still open at the end: HTTP ends it at the last step, the stream at reset (same segment)', async () => {
    const open = stream([BACKGROUND, 30], [1, 60]);
    const c = await streamed(open);
    assert.deepEqual(
      actions(c).map((e) => e.event),
      ['start'],
    );
    c.send({ type: 'reset' });
    const ack = await c.until((m) => m.type === 'reset');
    const end = actions(c)[1];
    assert.ok(c.messages.indexOf(end) < c.messages.indexOf(ack), 'the end event comes before the reset ack');
    const http = await post('det', { frames: open, segments: true });
    const [seg] = http.body.predictions[0].segments;
    assert.deepEqual(
      [end.event, end.label, end.startFrame, end.frame, end.probability],
      ['end', seg.label, seg.startFrame, seg.endFrame, seg.probability],
    );
    assert.equal(end.frame, 87, 'the last step run (frame 87 of 90)');
    c.close();
  });

  it('reset mid-action: the action ends, frame numbers restart, and the next action is counted from the reset', async () => {
    const c = await streamed(stream([BACKGROUND, 30], [0, 45]));
    c.send({ type: 'reset' });
    await c.until((m) => m.type === 'reset');
    const before = c.messages.length;
    for (const f of stream([0, 60])) c.send({ type: 'frames', frames: [f] });
    await c.predictions(15 + 20);
    const after = c.messages.slice(before).filter((m) => m.type === 'action');
    // A new sequence: the wave is seen afresh from frame 0 (no smoothing history), so it starts at once.
    assert.deepEqual(
      after.map((e) => [e.event, e.label, e.frame]),
      [['start', 'wave', 0]],
    );
    assert.deepEqual(
      actions(c)
        .slice(0, 2)
        .map((e) => e.event),
      ['start', 'end'],
    );
    c.close();
  });

  it('an idle stream says "no action" at every step and sends no event', async () => {
    const c = await streamed(stream([BACKGROUND, 300]));
    const preds = c.messages.filter((m) => m.type === 'prediction');
    assert.equal(preds.length, 100);
    assert.ok(preds.every((p) => p.label === 'no action'));
    assert.deepEqual(actions(c), []);
    c.close();
  });

  it('the decision rule is set by config fields, checked, and refused for a model without background', async () => {
    // minSteps 1: the start is announced at the segment's first step.
    const c = await streamed(stream([BACKGROUND, 30], [0, 60]), { minSteps: 1, smoothing: 0 });
    const start = actions(c)[0];
    assert.equal(start.frame, 30);
    const ack = c.messages.find((m) => m.type === 'config');
    assert.deepEqual([ack.config.minSteps, ack.config.smoothing, ack.config.startThreshold], [1, 0, 0.6]);
    c.send({ type: 'config', endThreshold: 0.9 });
    const err = await c.until((m) => m.type === 'error');
    assert.deepEqual([err.code, err.field], ['invalid_message', 'endThreshold']);
    c.send({ type: 'config', minSteps: 0 });
    const err2 = await c.until((m) => m.type === 'error' && m !== err);
    assert.deepEqual([err2.code, err2.field], ['invalid_message', 'minSteps']);
    c.close();
    const plain = await StreamClient.open(`${ws}/v1/models/rows/stream`);
    plain.send({ type: 'config', smoothing: 0.2 });
    const e = await plain.until((m) => m.type === 'error');
    assert.deepEqual([e.code, e.field], ['invalid_message', 'smoothing']);
    plain.close();
  });

  it('HTTP: the rule per request, the same segments as indrnn predict --segments; refused without background', async () => {
    const frames = stream([BACKGROUND, 30], [0, 60]);
    const r = await post('det', { frames, segments: true, decision: { minSteps: 1, smoothing: 0 } });
    assert.equal(r.body.predictions[0].segments[0].startFrame, 30);
    assert.equal(r.body.predictions[0].segments[0].announcedFrame, 30);
    const d = await post('det', { frames, segments: true });
    assert.equal(
      d.body.predictions[0].segments[0].announcedFrame - d.body.predictions[0].segments[0].startFrame,
      (DEFAULT_DECISION_RULE.minSteps - 1) * 3,
    );
    const bad = await post('det', { frames, segments: true, decision: { endThreshold: 0.9 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.field, 'decision.endThreshold');
    // indrnn predict --segments: the same segments (probabilities printed to 4 decimals).
    const input = join(dir, 'det-input.json');
    writeFileSync(input, JSON.stringify({ frames }));
    const cli = indrnn('predict', '--model', join(dir, 'det.onnx'), '--input', input, '--segments');
    assert.equal(cli.status, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout).segments;
    const http = d.body.predictions[0].segments;
    assert.deepEqual(
      fromCli.map((x: any) => [x.label, x.startFrame, x.endFrame, x.announcedFrame]),
      http.map((x: any) => [x.label, x.startFrame, x.endFrame, x.announcedFrame]),
    );
    for (const [i, x] of fromCli.entries()) assert.ok(Math.abs(x.probability - http[i].probability) < 1e-4);
    // A binary body with ?segments=true: the same segments as JSON.
    const binary = await fetch(`${srv.url}/v1/models/det/predict?segments=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-frames-shape': `${frames.length},${K}` },
      body: Buffer.from(new Float32Array(frames.flat()).buffer),
    });
    assert.equal(binary.status, 200);
    assert.deepEqual((await binary.json()).predictions[0].segments, http);
    const plain = await post('rows', { frames, segments: true });
    assert.equal(plain.status, 400);
    assert.deepEqual([plain.body.error.code, plain.body.error.details.field], ['invalid_field', 'segments']);
  });
});
