// Replays a recording to a running server's WebSocket stream at its frame rate (30 fps unless --fps), one
// frame per message as a camera pipeline would, and prints the label after each prediction (or only when
// it changes, with --changes), and the action start/end events of detection models as they come (only
// those, with --events). The truth is shown by name beside them when the recording has labels:
//  - an NTU .skeleton file, with a .labels file beside it (synthetic streams: NTU action per frame);
//  - a PKU-MMD recording skeleton/NNNN-M.txt, with label/NNNN-M.txt and actions.csv beside skeleton/.
// Usage: node dist/scripts/replay-stream.js FILE [--url ws://localhost:8080] [--model NAME] [--fps 30]
//        [--speed 1] [--token T] [--every N] [--changes] [--events] [--rule JSON] [--binary]
//   --rule '{"minSteps": 5}': decision-rule fields sent in the stream's config (detection models).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { selectBodies } from '../src/data/bodies.js';
import { ntuActionName } from '../src/data/ntu-actions.js';
import { readSkeletonFile } from '../src/data/ntu-reader.js';
import { readPkuActions, readPkuLabels, readPkuSkeleton } from '../src/data/pku-mmd-reader.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: 'ws://localhost:8080' },
    model: { type: 'string', default: 'ntu-synth-stream' },
    fps: { type: 'string', default: '30' },
    speed: { type: 'string', default: '1' },
    token: { type: 'string', default: process.env.INDRNN_TOKEN },
    every: { type: 'string', default: '1' },
    changes: { type: 'boolean', default: false },
    events: { type: 'boolean', default: false },
    rule: { type: 'string', default: '{}' },
    binary: { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (!file) {
  console.error(
    'usage: replay-stream FILE.skeleton|skeleton/NNNN-M.txt [--url ws://host:port] [--model NAME] [--fps 30] [--changes] [--events]',
  );
  process.exit(2);
}
const fps = Number(values.fps);
const rule = JSON.parse(values.rule) as Record<string, number>;

interface Recording {
  /** [T, 2, 25, 3] */
  data: Float32Array;
  T: number;
  bodies: number;
  joints: number;
  /** The true action's name per frame (null: no action), when the recording has labels. */
  truth: (string | null)[] | null;
}

/** An NTU .skeleton file; its .labels file (NTU action per frame, 0 = none) when there is one. */
function ntuRecording(path: string): Recording {
  const sel = selectBodies(readSkeletonFile(path), { bodies: 2, joints: 25, dropEmptyFrames: false });
  const labelsFile = path.replace(/\.skeleton$/, '.labels');
  const truth = existsSync(labelsFile)
    ? readFileSync(labelsFile, 'utf8')
        .trim()
        .split(/\s+/)
        .map((a) => (Number(a) === 0 ? null : ntuActionName(Number(a))))
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
const headers: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};
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
  setTimeout(() => ws.close(1000), 500);
}
