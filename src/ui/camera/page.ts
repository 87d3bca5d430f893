// The camera page (GET /camera): webcam -> MediaPipe Pose in this browser -> joints in the chosen model's
// layout -> the server -> action labels. Streaming models get every camera frame over the WebSocket API
// (binary float32 frames, docs/streaming.md); segment-sampled models (whole actions) are asked over HTTP
// predict about the last few seconds, twice a second. Takes can be recorded with labels and saved as JSON
// Lines. `?model=NAME` picks the model, `&pose=0|1|2` the pose model (lite, full, heavy), `&start=1` starts
// the camera at once.
import type { ModelInfo } from '../../host/model-info.js';
import { type CameraFrame, CameraPose } from './camera-pose.js';
import { cameraUnsupported, ModelFrames } from './model-frames.js';
import { drawPose } from './overlay.js';
import { Recorder } from './recorder.js';

/** Segment models: HTTP predict over the last WINDOW_S seconds, every EVERY_S seconds. */
const WINDOW_S = 4;
const EVERY_S = 0.5;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  model: $<HTMLSelectElement>('model'),
  tokenRow: $('token-row'),
  token: $<HTMLInputElement>('token'),
  complexity: $<HTMLSelectElement>('complexity'),
  start: $<HTMLButtonElement>('start'),
  stop: $<HTMLButtonElement>('stop'),
  status: $('status'),
  video: $<HTMLVideoElement>('video'),
  overlay: $<HTMLCanvasElement>('overlay'),
  label: $('label'),
  prob: $('prob'),
  topk: $<HTMLOListElement>('topk'),
  found: $('found'),
  sent: $('sent'),
  fps: $('fps'),
  poseMs: $('pose-ms'),
  action: $<HTMLInputElement>('action'),
  labels: $<HTMLDataListElement>('labels'),
  record: $<HTMLButtonElement>('record'),
  save: $<HTMLButtonElement>('save'),
  takes: $('takes'),
};

interface Scored {
  label: string;
  probability: number;
}

let models: ModelInfo[] = [];
let camera: CameraPose | null = null;
let stopFrames: (() => void) | null = null;
let link: ModelLink | null = null;
const recorder = new Recorder();

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

function authHeaders(): Record<string, string> {
  return ui.token.value ? { authorization: `Bearer ${ui.token.value}` } : {};
}

function showPrediction(p: Scored & { topK: Scored[] }): void {
  ui.label.textContent = p.label;
  ui.prob.textContent = `${(100 * p.probability).toFixed(1)} %`;
  ui.topk.replaceChildren(
    ...p.topK.map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.label} ${(100 * s.probability).toFixed(1)} %`;
      return li;
    }),
  );
}

/** Where the frames of one model go: its stream, or HTTP predict over a sliding window. */
interface ModelLink {
  readonly frames: ModelFrames;
  send(frame: Float32Array<ArrayBuffer>): void;
  close(): void;
}

function streamLink(m: ModelInfo, fps: number): ModelLink {
  const frames = new ModelFrames(m.layout!, m.bodies!);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = ui.token.value ? `?token=${encodeURIComponent(ui.token.value)}` : '';
  const ws = new WebSocket(`${proto}//${location.host}/v1/models/${encodeURIComponent(m.name)}/stream${token}`);
  ws.binaryType = 'arraybuffer';
  let ready = false;
  let sent = 0;
  ws.addEventListener('message', (ev) => {
    if (typeof ev.data !== 'string') return;
    const msg = JSON.parse(ev.data);
    if (msg.type === 'ready') {
      ws.send(JSON.stringify({ type: 'config', topK: 5, frameRate: fps }));
      ready = true;
    } else if (msg.type === 'prediction' && typeof msg.label === 'string') showPrediction(msg);
    else if (msg.type === 'error') setStatus(`the server says: ${msg.message}`, true);
  });
  ws.addEventListener('close', (ev) => {
    if (link?.frames === frames) setStatus(`the stream closed (${ev.code} ${ev.reason})`, ev.code !== 1000);
  });
  return {
    frames,
    send(frame) {
      if (!ready || ws.readyState !== WebSocket.OPEN) return;
      ws.send(frame);
      ui.sent.textContent = String(++sent);
    },
    close: () => ws.close(1000, 'done'),
  };
}

function windowLink(m: ModelInfo, fps: number): ModelLink {
  const frames = new ModelFrames(m.layout!, m.bodies!);
  const keep = Math.max(1, Math.round(WINDOW_S * fps));
  const every = Math.max(1, Math.round(EVERY_S * fps));
  const recent: number[][][][] = [];
  let sent = 0;
  let busy = false;
  let closed = false;
  const ask = async () => {
    busy = true;
    try {
      const r = await fetch(`/v1/models/${encodeURIComponent(m.name)}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeaders() },
        body: JSON.stringify({ frames: recent, frameRate: fps, topK: 5 }),
      });
      const body = await r.json();
      if (closed) return;
      if (!r.ok) setStatus(`the server says: ${body.error?.message ?? r.status}`, true);
      else showPrediction(body.predictions[0]);
    } catch (e) {
      setStatus(`predict failed: ${(e as Error).message}`, true);
    } finally {
      busy = false;
    }
  };
  return {
    frames,
    send(frame) {
      const bodies: number[][][] = [];
      for (let b = 0; b < frames.bodies; b++) {
        const joints: number[][] = [];
        for (let j = 0; j < frames.joints; j++) {
          const at = (b * frames.joints + j) * 3;
          joints.push([frame[at], frame[at + 1], frame[at + 2]]);
        }
        bodies.push(joints);
      }
      recent.push(bodies);
      if (recent.length > keep) recent.shift();
      ui.sent.textContent = String(++sent);
      if (sent % every === 0 && !busy) void ask();
    },
    close() {
      closed = true;
    },
  };
}

function currentModel(): ModelInfo | null {
  return models.find((m) => m.name === ui.model.value) ?? null;
}

function connect(): void {
  link?.close();
  link = null;
  ui.label.textContent = '';
  ui.prob.textContent = '';
  ui.topk.replaceChildren();
  const m = currentModel();
  if (!m || !camera) return;
  const why = cameraUnsupported(m);
  if (why) {
    setStatus(`${m.name}: ${why}`, true);
    return;
  }
  link = m.sampling?.kind === 'segments' ? windowLink(m, camera.fps) : streamLink(m, camera.fps);
  ui.labels.replaceChildren(
    ...m.labels.map((l) => {
      const o = document.createElement('option');
      o.value = l.name;
      return o;
    }),
  );
}

function onFrame(f: CameraFrame): void {
  drawPose(ui.overlay, ui.video, f);
  if (camera) ui.poseMs.textContent = camera.poseMs.toFixed(0);
  ui.found.textContent = f.found ? `33 landmarks${f.placed ? '' : ' (position unknown)'}` : 'nobody in view';
  if (link) link.send(link.frames.fill(f.found ? f.landmarks : null));
  if (recorder.recording) {
    if (!recorder.add(f.found ? f.landmarks : null, f.visibility, ui.action.value)) toggleRecording();
    ui.record.textContent = `Stop recording (${recorder.length} frames)`;
  }
}

async function startCamera(): Promise<void> {
  ui.start.disabled = true;
  setStatus('asking for the camera and loading MediaPipe Pose (once: about 16 MB)...');
  try {
    camera = await CameraPose.open(ui.video, { modelComplexity: Number(ui.complexity.value) as 0 | 1 | 2 });
  } catch (e) {
    ui.start.disabled = false;
    setStatus(`no camera: ${(e as Error).message}`, true);
    return;
  }
  ui.fps.textContent = String(camera.fps);
  ui.stop.disabled = false;
  ui.record.disabled = false;
  setStatus('looking for a person...');
  connect();
  stopFrames = camera.start((f) => {
    if (ui.status.textContent === 'looking for a person...') setStatus('streaming joints (the video stays here)');
    onFrame(f);
  });
}

async function stopCamera(): Promise<void> {
  stopFrames?.();
  stopFrames = null;
  link?.close();
  link = null;
  if (recorder.recording) toggleRecording();
  await camera?.close();
  camera = null;
  drawPose(ui.overlay, ui.video, null);
  ui.start.disabled = false;
  ui.stop.disabled = true;
  ui.record.disabled = true;
  setStatus('camera off');
}

function toggleRecording(): void {
  if (recorder.recording) {
    recorder.stop();
    ui.record.textContent = 'Record';
    ui.takes.textContent = String(recorder.takes.length);
    ui.save.disabled = recorder.takes.length === 0;
    return;
  }
  recorder.start(`camera-${new Date().toISOString()}`, camera?.fps ?? 30);
  ui.record.textContent = 'Stop recording (0 frames)';
}

function save(): void {
  const blob = new Blob([recorder.toJsonLines()], { type: 'application/x-ndjson' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `camera-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function loadModels(): Promise<void> {
  const r = await fetch('/v1/models', { headers: authHeaders() });
  if (r.status === 401) {
    ui.tokenRow.hidden = false;
    setStatus('this server needs a token: enter it, then pick a model', true);
    return;
  }
  if (!r.ok) {
    setStatus(`could not list the models (${r.status})`, true);
    return;
  }
  models = (await r.json()).models as ModelInfo[];
  const params = new URLSearchParams(location.search);
  const wanted = params.get('model');
  const complexity = params.get('pose');
  if (complexity && ['0', '1', '2'].includes(complexity)) ui.complexity.value = complexity;
  ui.model.replaceChildren(
    ...models.map((m) => {
      const o = document.createElement('option');
      const why = cameraUnsupported(m);
      o.value = m.name;
      o.textContent = why ? `${m.name} (${why})` : `${m.name} (${m.layout})`;
      o.disabled = why !== null;
      return o;
    }),
  );
  const usable = models.filter((m) => cameraUnsupported(m) === null);
  const pick = usable.find((m) => m.name === wanted) ?? usable[0];
  if (pick) ui.model.value = pick.name;
  else setStatus('no loaded model takes joints from a camera (kinect20, ntu25 or mediapipe33)', true);
}

ui.tokenRow.addEventListener('submit', (e) => e.preventDefault());
ui.model.addEventListener('change', connect);
ui.token.addEventListener('change', () => void loadModels());
ui.start.addEventListener('click', () => void startCamera());
ui.stop.addEventListener('click', () => void stopCamera());
ui.record.addEventListener('click', toggleRecording);
ui.save.addEventListener('click', save);
void loadModels().then(() => {
  if (new URLSearchParams(location.search).get('start') === '1') void startCamera();
});
