// Replays a recording to a running server's WebSocket stream at its frame rate (30 fps unless --fps), one
// frame per message as a camera pipeline would, and prints the label after each prediction (or only when
// it changes, with --changes), and the action start/end events of detection models as they come (only
// those, with --events). At the end it resets the stream, which ends an action still open. The truth is
// shown by name beside them when the recording has labels:
//  - an NTU .skeleton file, with a .labels file beside it (synthetic streams: NTU action per frame), or
//    else the action its name says (SsssCcccPpppRrrrAaaa: a trimmed clip shows one action throughout);
//  - a PKU-MMD recording skeleton/NNNN-M.txt, with label/NNNN-M.txt and actions.csv beside skeleton/.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WebSocket } from 'ws';
import { selectBodies } from '../src/data/bodies.js';
import { ntuActionName } from '../src/data/ntu-actions.js';
import { parseNtuName } from '../src/data/ntu-name.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';
import { readPkuActions, readPkuLabels, readPkuSkeleton } from '../src/data/pku-mmd-reader.js';
import { scriptArgs, scriptFail } from './script-args.js';

/** The server `indrnn serve` would listen on here: INDRNN_HOST (a wildcard address: this machine) and INDRNN_PORT. */
function defaultUrl(): string {
  const host = process.env.INDRNN_HOST ?? '';
  const local = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `ws://${local.includes(':') ? `[${local}]` : local}:${process.env.INDRNN_PORT || '8080'}`;
}

const { values, positionals } = scriptArgs({
  name: 'replay-stream',
  about:
    "replay a recording to a model's WebSocket stream at its frame rate and print the predictions (and the action events of detection models) beside the truth",
  positionals: { usage: 'FILE.skeleton|skeleton/NNNN-M.txt', min: 1, max: 1 },
  options: {
    url: {
      type: 'string',
      default: defaultUrl(),
      arg: 'URL',
      help: 'the server (INDRNN_HOST and INDRNN_PORT set the default)',
    },
    model: { type: 'string', default: 'ntu-synth-stream', arg: 'NAME', help: 'the model to stream to' },
    fps: { type: 'string', default: '30', arg: 'N', help: "the recording's frames per second" },
    speed: { type: 'string', default: '1', arg: 'X', help: 'play X times faster than real time' },
    token: {
      type: 'string',
      arg: 'T',
      help: 'bearer token (default: INDRNN_TOKEN)',
    },
    every: { type: 'string', default: '1', arg: 'N', help: 'a prediction every N model steps' },
    changes: { type: 'boolean', default: false, help: 'print a prediction only when its label changes' },
    events: {
      type: 'boolean',
      default: false,
      help: 'print only action start/end events (detection models) and where the true actions change',
    },
    rule: {
      type: 'string',
      default: '{}',
      arg: 'JSON',
      help: 'decision-rule fields for the action events, e.g. \'{"minSteps": 5}\'',
    },
    binary: { type: 'boolean', default: false, help: 'send binary float32 frames instead of JSON' },
  },
  examples: [
    'npx indrnn data synth --out /tmp/streams --seed 3 --subjects 1 --cameras 1 --replications 1 --streams 1 --stream-seconds 30',
    'node dist/scripts/replay-stream.js /tmp/streams/streams/*.skeleton --model ntu-synth-stream --changes',
    'node dist/scripts/replay-stream.js /path/to/pku-mmd/skeleton/0255-M.txt --model pku-mmd-detect --events',
  ],
});
const file = positionals[0];
if (!existsSync(file)) scriptFail('replay-stream', `no such file: ${file}`);
const fps = Number(values.fps);
let rule: Record<string, number> = {};
try {
  rule = JSON.parse(values.rule);
} catch (e) {
  scriptFail('replay-stream', `--rule is not JSON: ${(e as Error).message}`);
}

interface Recording {
  /** [T, 2, 25, 3] */
  data: Float32Array;
  T: number;
  bodies: number;
  joints: number;
  /** The true action's name per frame (null: no action), when the recording has labels. */
  truth: (string | null)[] | null;
}

/** An NTU .skeleton file; its .labels file (NTU action per frame, 0 = none), or else the action in its name. */
function ntuRecording(path: string): Recording {
  const sel = selectBodies(readSkeletonFile(path), { bodies: 2, joints: 25, dropEmptyFrames: false });
  const labelsFile = path.replace(/\.skeleton$/, '.labels');
  const named = parseNtuName(path);
  const truth = existsSync(labelsFile)
    ? readFileSync(labelsFile, 'utf8')
        .trim()
        .split(/\s+/)
        .map((a) => (Number(a) === 0 ? null : ntuActionName(Number(a))))
    : named && named.action > 0
      ? Array<string | null>(sel.T).fill(ntuActionName(named.action))
      : null;
  return { data: sel.data, T: sel.T, bodies: sel.bodies, joints: sel.joints, truth };
}

/** A PKU-MMD recording (skeleton/NNNN-V.txt), with its intervals (label/NNNN-V.txt, actions.csv) when present. */
function pkuRecording(path: string): Recording {
  const sk = readPkuSkeleton(path);
  const root = dirname(dirname(path));
  const labelPath = join(root, 'label', basename(path));
  const actionsPath = join(root, 'actions.csv');
  let truth: (string | null)[] | null = null;
  if (existsSync(labelPath) && existsSync(actionsPath)) {
    const names = readPkuActions(actionsPath);
    truth = Array<string | null>(sk.T).fill(null);
    for (const iv of readPkuLabels(labelPath))
      truth.fill(names.get(iv.label) ?? `class ${iv.label}`, iv.start, Math.min(iv.end + 1, sk.T));
  }
  return { data: sk.data, T: sk.T, bodies: 2, joints: 25, truth };
}

const sel = file.endsWith('.skeleton') ? ntuRecording(file) : pkuRecording(file);
const truth = sel.truth;
const D = sel.bodies * sel.joints * 3;
const truthAt = (frame: number) => (truth ? `  (truth: ${truth[frame] ?? 'no action'})` : '');

/** Frame t as JSON joints [bodies][25][3], absent bodies left out. */
function frameJson(t: number): number[][][] {
  const bodies: number[][][] = [];
  for (let b = 0; b < sel.bodies; b++) {
    const base = t * D + b * sel.joints * 3;
    const body = Array.from({ length: sel.joints }, (_, j) =>
      Array.from(sel.data.subarray(base + j * 3, base + j * 3 + 3)),
    );
    if (body.some((p) => p.some((v) => v !== 0))) bodies.push(body);
  }
  // No one in view: one all-zero body (= absent), so that the stream keeps its timing.
  return bodies.length ? bodies : [Array.from({ length: sel.joints }, () => [0, 0, 0])];
}

const url = `${values.url.replace(/\/$/, '')}/v1/models/${encodeURIComponent(values.model)}/stream`;
const token = values.token ?? process.env.INDRNN_TOKEN;
const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
const ws = new WebSocket(url, { headers });
const sentAt: number[] = [];
let last = '';
let lastTruth = 'no action';
ws.on('unexpected-response', (_req, res) => {
  let body = '';
  res.on('data', (d) => {
    body += d;
  });
  res.on('end', () => {
    console.error(`refused: HTTP ${res.statusCode} ${body}`);
    process.exit(1);
  });
});
ws.on('error', (e) => {
  console.error(`connection failed: ${e.message}`);
  process.exit(1);
});
ws.on('close', (code, reason) => {
  console.error(`closed: ${code} ${String(reason)}`);
  process.exit(code === 1000 || code === 1005 ? 0 : 1);
});
ws.on('message', (data) => {
  const m = JSON.parse(String(data));
  if (m.type === 'ready') {
    console.error(
      `stream to ${m.model} v${m.version}: ${m.stepRate ? `${m.stepRate} steps/s, window ${m.window}, ${m.states} states` : 'a step per frame'}; ${sel.T} frames at ${fps} fps`,
    );
    ws.send(JSON.stringify({ type: 'config', frameRate: fps, every: Number(values.every), topK: 3, ...rule }));
    void replay();
  } else if (m.type === 'action') {
    const p = `${(100 * m.probability).toFixed(0)} %`;
    const what =
      m.event === 'start'
        ? `>> START ${m.label} at frame ${m.frame} (${p})`
        : `<< END   ${m.label}, frames ${m.startFrame}-${m.frame} (${p})`;
    console.log(`${(m.frame / fps).toFixed(2).padStart(7)} s  ${what}${truthAt(m.frame)}`);
  } else if (m.type === 'prediction') {
    const label = m.label ?? String(m.value);
    if (values.events) {
      // Only events, and where the true actions begin and end.
      const now = truth ? (truth[m.frame] ?? 'no action') : '';
      if (truth && now !== lastTruth)
        console.log(`${(m.frame / fps).toFixed(2).padStart(7)} s     (truth from frame ${m.frame}: ${now})`);
      lastTruth = now;
      return;
    }
    if (values.changes && label === last) return;
    last = label;
    const ms = (performance.now() - sentAt[m.frame]).toFixed(1);
    const time = (m.frame / fps).toFixed(2).padStart(7);
    const p = m.probability === undefined ? '' : ` ${(100 * m.probability).toFixed(0).padStart(3)} %`;
    console.log(`${time} s  frame ${String(m.frame).padStart(6)}  ${label}${p}${truthAt(m.frame)}  [${ms} ms]`);
  } else if (m.type === 'reset') {
    ws.close(1000); // after the end event of an action still open
  } else if (m.type === 'error') {
    console.error(`error ${m.code}${m.field ? ` (${m.field})` : ''}: ${m.message}`);
  }
});

async function replay(): Promise<void> {
  const period = 1000 / (fps * Number(values.speed));
  const t0 = performance.now();
  for (let t = 0; t < sel.T; t++) {
    const wait = t0 + t * period - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt[t] = performance.now();
    if (values.binary) ws.send(Buffer.from(sel.data.buffer, sel.data.byteOffset + t * D * 4, D * 4));
    else ws.send(JSON.stringify({ type: 'frames', frames: [frameJson(t)] }));
  }
  // The last predictions come in, then a reset ends an action still open; its ack closes the stream.
  setTimeout(() => ws.send(JSON.stringify({ type: 'reset' })), 500);
}
