// The camera page (GET /camera): webcam -> MediaPipe Pose in this browser -> joints for the chosen model
// -> the server -> action labels. A 2D model (ModelInfo `dims`: 2, the page's default when one is served)
// gets MediaPipe's image landmarks as they are (mediapipe33 pixels, 2 floats per joint; the server maps
// them onto its joints); a 3D model gets MediaPipe's 3D estimate on its joints (model-frames.ts).
// Streaming models get every camera frame over the WebSocket API (binary float32 frames,
// docs/streaming.md); segment-sampled models (whole actions) are asked over HTTP predict about the last few
// seconds, twice a second. Takes can be recorded with labels and saved as JSON Lines, loaded again, and
// sent to the server as a training job (Train): the model it makes becomes the page's model. `?model=NAME`
// picks the model, `&pose=0|1|2` the pose model (lite, full, heavy), `&start=1` starts the camera at once.
import {
  getJob,
  HttpError,
  type JobView,
  listModels,
  type ModelInfo,
  postJob,
  predict,
  setToken,
  streamUrl,
  token,
} from '../api.js';
import { nestedFrames } from '../model-frames.js';
import { RateMeter } from '../rate-meter.js';
import { StreamClient } from '../stream-client.js';
import { percent, renderTopK, type Scored } from '../top-k.js';
import { type CameraFrame, CameraPose } from './camera-pose.js';
import { cameraFeed, cameraUnsupported, ImageFrames, ModelFrames } from './model-frames.js';
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
  cameraOff: $('camera-off'),
  cameraView: $('camera-view'),
  video: $<HTMLVideoElement>('video'),
  overlay: $<HTMLCanvasElement>('overlay'),
  label: $('label'),
  prob: $('prob'),
  topk: $<HTMLOListElement>('topk'),
  found: $('found'),
  sent: $('sent'),
  fps: $('fps'),
  cameraFps: $('camera-fps'),
  poseRate: $('pose-rate'),
  poseMs: $('pose-ms'),
  mode: $('mode'),
  action: $<HTMLInputElement>('action'),
  labels: $<HTMLDataListElement>('labels'),
  record: $<HTMLButtonElement>('record'),
  save: $<HTMLButtonElement>('save'),
  takes: $('takes'),
  loadTakes: $<HTMLInputElement>('load-takes'),
  jobName: $<HTMLInputElement>('job-name'),
  jobBase: $<HTMLSelectElement>('job-base'),
  train: $<HTMLButtonElement>('train'),
  jobProgress: $<HTMLProgressElement>('job-progress'),
  jobStatus: $('job-status'),
};

/** How often a running training job is asked about. */
const JOB_POLL_MS = 500;

let models: ModelInfo[] = [];
let camera: CameraPose | null = null;
let stopFrames: (() => void) | null = null;
let link: ModelLink | null = null;
const recorder = new Recorder();
/** Frames sent a second, measured; the numbers' refresh while the camera runs. */
const sentRate = new RateMeter();
let poll = 0;

/** Status texts the camera's progress replaces (a message of another kind stays). */
const WAITING =
  'waiting for the pose estimator: its first answer can take a minute on a computer without a GPU, and the page may not respond meanwhile…';
const LOOKING = 'looking for a person…';
const STREAMING = 'streaming joints (the video stays here)';

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

function showPrediction(p: Scored & { topK: Scored[] }): void {
  ui.label.textContent = p.label;
  ui.prob.textContent = percent(p.probability);
  renderTopK(ui.topk, p.topK);
}

/** One frame went to the server. */
function noteSent(total: number): void {
  sentRate.note(1);
  ui.sent.textContent = String(total);
}

/** The measured numbers, twice a second while the camera runs (also while no frame goes out: nobody in view yet). */
function showNumbers(): void {
  if (!camera) return;
  ui.fps.textContent = sentRate.perSecond().toFixed(0);
  if (camera.poses === 0) {
    ui.found.textContent = 'waiting for the pose estimator…';
    return;
  }
  const rate = camera.poseRate.perSecond();
  ui.poseRate.textContent = rate.toFixed(rate < 10 ? 1 : 0);
  ui.poseMs.textContent = camera.poseMs.toFixed(0);
  if (!camera.found) ui.found.textContent = 'nobody in view';
  if (ui.status.textContent === WAITING) setStatus(camera.found ? STREAMING : LOOKING);
}

/** Where the frames of one model go: its stream, or HTTP predict over a sliding window. */
interface ModelLink {
  readonly frames: ModelFrames | ImageFrames;
  send(frame: Float32Array<ArrayBuffer>): void;
  close(): void;
}

/** The frames the camera gives a model: image landmarks for a 2D model, its joints from the 3D estimate otherwise. */
function framesFor(m: ModelInfo): ModelFrames | ImageFrames {
  return cameraFeed(m) === '2d' ? new ImageFrames(m.bodies!) : new ModelFrames(m.layout!, m.bodies!);
}

/** The layout the frames are in when it is not the model's (the server converts them), else undefined. */
function framesLayout(m: ModelInfo, frames: ModelFrames | ImageFrames): string | undefined {
  return frames.layout === m.layout ? undefined : frames.layout;
}

function streamLink(m: ModelInfo, fps: number): ModelLink {
  const frames = framesFor(m);
  let ready = false;
  let sent = 0;
  const client = new StreamClient(
    streamUrl(m.name),
    { frameRate: fps, topK: 5, layerStates: false, layout: framesLayout(m, frames), channels: frames.channels },
    {
      onMessage(msg) {
        if (msg.type === 'prediction' && 'label' in msg) showPrediction(msg);
        else if (msg.type === 'error') setStatus(`the server says: ${msg.message}`, true);
      },
      onClose(reason) {
        if (link?.frames === frames) setStatus(`the stream closed (${reason})`, reason !== 'done');
      },
    },
  );
  client.ready.then(
    () => {
      ready = true;
    },
    () => {}, // onClose says why
  );
  return {
    frames,
    send(frame) {
      if (!ready || !client.open) return;
      client.send(frame, 1);
      noteSent(++sent);
    },
    close: () => client.close(),
  };
}

function windowLink(m: ModelInfo, fps: number): ModelLink {
  const frames = framesFor(m);
  const layout = framesLayout(m, frames);
  const keep = Math.max(1, Math.round(WINDOW_S * fps));
  const every = Math.max(1, Math.round(EVERY_S * fps));
  const recent: number[][][][] = [];
  let sent = 0;
  let busy = false;
  let closed = false;
  const ask = async () => {
    busy = true;
    try {
      const answer = await predict(m.name, recent, fps, layout);
      if (!closed) showPrediction(answer.predictions[0]);
    } catch (e) {
      if (!closed)
        setStatus(
          e instanceof HttpError ? `the server says: ${e.message}` : `predict failed: ${(e as Error).message}`,
          true,
        );
    } finally {
      busy = false;
    }
  };
  return {
    frames,
    send(frame) {
      recent.push(
        nestedFrames(frame, frames.bodies, frames.joints, 0, 1, frames.bodies, frames.channels, frames.channels)[0],
      );
      if (recent.length > keep) recent.shift();
      noteSent(++sent);
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
  ui.label.textContent = '–';
  ui.prob.textContent = '';
  ui.topk.replaceChildren();
  const m = currentModel();
  if (!m || !camera) return;
  const why = cameraUnsupported(m);
  if (why) {
    setStatus(`${m.name}: ${why}`, true);
    return;
  }
  const segments = m.sampling?.kind === 'segments';
  link = segments ? windowLink(m, camera.fps) : streamLink(m, camera.fps);
  const kind = link.frames instanceof ImageFrames ? '2D picture landmarks' : "MediaPipe's 3D estimate";
  ui.mode.textContent = `${segments ? 'HTTP predict (whole actions)' : 'WebSocket stream'}, ${kind}`;
  sentRate.reset();
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
  ui.found.textContent = f.found ? `33 landmarks${f.placed ? '' : ' (position unknown)'}` : 'nobody in view';
  if (link) {
    const frames = link.frames;
    if (frames instanceof ImageFrames)
      link.send(frames.fill(f.found ? f.image : null, ui.video.videoWidth, ui.video.videoHeight));
    else link.send(frames.fill(f.found ? f.landmarks : null));
  }
  if (recorder.recording) {
    if (!recorder.add(f.found ? f.landmarks : null, f.visibility, ui.action.value)) toggleRecording();
    ui.record.textContent = `Stop recording (${recorder.length} frames)`;
  }
}

async function startCamera(): Promise<void> {
  ui.start.disabled = true;
  setStatus('asking for the camera and loading MediaPipe Pose (once: about 16 MB)…');
  ui.cameraOff.hidden = true;
  ui.cameraView.hidden = false;
  try {
    camera = await CameraPose.open(ui.video, { modelComplexity: Number(ui.complexity.value) as 0 | 1 | 2 });
  } catch (e) {
    ui.start.disabled = false;
    ui.cameraOff.hidden = false;
    ui.cameraView.hidden = true;
    setStatus(`no camera: ${(e as Error).message}`, true);
    return;
  }
  ui.cameraFps.textContent = String(camera.fps);
  ui.stop.disabled = false;
  ui.record.disabled = false;
  // Said before the first pose (CameraPose.start waits for this to be painted): it may hold the page for long.
  setStatus(WAITING);
  ui.found.textContent = 'waiting for the pose estimator…';
  connect();
  poll = window.setInterval(showNumbers, 500);
  stopFrames = camera.start((f) => {
    if (ui.status.textContent === WAITING || ui.status.textContent === LOOKING) setStatus(STREAMING);
    onFrame(f);
  });
}

async function stopCamera(): Promise<void> {
  stopFrames?.();
  stopFrames = null;
  clearInterval(poll);
  link?.close();
  link = null;
  if (recorder.recording) toggleRecording();
  await camera?.close();
  camera = null;
  drawPose(ui.overlay, ui.video, null);
  ui.cameraOff.hidden = false;
  ui.cameraView.hidden = true;
  ui.fps.textContent = '–';
  ui.start.disabled = false;
  ui.stop.disabled = true;
  ui.record.disabled = true;
  setStatus('camera off');
}

/** The takes' count and the buttons that need takes. */
function showTakes(): void {
  const n = recorder.takes.length;
  ui.takes.textContent = String(n);
  ui.save.disabled = n === 0;
  ui.train.disabled = n < 2 || training;
}

function toggleRecording(): void {
  if (recorder.recording) {
    recorder.stop();
    ui.record.textContent = 'Record';
    showTakes();
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

async function loadTakes(): Promise<void> {
  const file = ui.loadTakes.files?.[0];
  if (!file) return;
  try {
    const n = recorder.load(await file.text(), file.name);
    setStatus(`${n} takes loaded from ${file.name}`);
  } catch (e) {
    setStatus((e as Error).message, true);
  }
  ui.loadTakes.value = '';
  showTakes();
}

let training = false;

function setJobStatus(text: string, error = false): void {
  ui.jobStatus.textContent = text;
  ui.jobStatus.classList.toggle('error', error);
}

function showJob(job: JobView): void {
  ui.jobProgress.value = job.progress;
  if (job.state === 'queued') setJobStatus('waiting: the server is training another model first');
  else if (job.state === 'running') {
    const left = job.eta !== null ? `, about ${job.eta} s left` : '';
    setJobStatus(`training (${job.stage ?? 'starting'}): ${Math.round(100 * job.progress)} %${left}`);
  }
}

/** The held-out takes' accuracy, when some were held out. */
function heldOutText(job: JobView): string {
  const { test, heldOutTakes } = job.metrics as { test?: number; heldOutTakes?: number };
  return heldOutTakes && typeof test === 'number'
    ? `; ${Math.round(100 * test)} % of ${heldOutTakes} held-out takes right`
    : '';
}

/** Train: the takes go to the server as a job; its model becomes the page's model. */
async function train(): Promise<void> {
  const name = ui.jobName.value.trim();
  const base = ui.jobBase.value;
  training = true;
  showTakes();
  ui.jobProgress.hidden = false;
  ui.jobProgress.value = 0;
  setJobStatus('sending the takes…');
  try {
    const { id } = await postJob({ name, ...(base ? { base } : {}), samples: recorder.samples() });
    let job = await getJob(id);
    while (job.state === 'queued' || job.state === 'running') {
      showJob(job);
      await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
      job = await getJob(id);
    }
    if (job.state !== 'done') {
      setJobStatus(`training ${job.state}: ${job.error ?? 'no reason given'}`, true);
      return;
    }
    ui.jobProgress.value = 1;
    await loadModels();
    ui.model.value = job.model ?? name;
    connect();
    const seconds = (job.metrics.seconds as { total?: number } | undefined)?.total;
    setJobStatus(
      `${job.model} version ${job.version} is trained${seconds ? ` in ${Math.round(seconds)} s` : ''} and served: it is this page's model now${heldOutText(job)}.`,
    );
  } catch (e) {
    setJobStatus(
      e instanceof HttpError ? `the server says: ${e.message}` : `training failed: ${(e as Error).message}`,
      true,
    );
  } finally {
    training = false;
    showTakes();
  }
}

async function loadModels(): Promise<void> {
  try {
    models = await listModels();
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) {
      ui.tokenRow.hidden = false;
      setStatus('this server needs a token: enter it, then pick a model', true);
    } else setStatus(`could not list the models (${e instanceof HttpError ? e.status : (e as Error).message})`, true);
    return;
  }
  const params = new URLSearchParams(location.search);
  const wanted = params.get('model');
  const complexity = params.get('pose');
  if (complexity && ['0', '1', '2'].includes(complexity)) ui.complexity.value = complexity;
  ui.model.replaceChildren(
    ...models.map((m) => {
      const o = document.createElement('option');
      const why = cameraUnsupported(m);
      o.value = m.name;
      const fit = cameraFeed(m) === '2d' ? '2D keypoints: suits a webcam' : "3D: from MediaPipe's 3D estimate";
      o.textContent = why ? `${m.name} (${why})` : `${m.name} (${m.layout}, ${fit})`;
      o.disabled = why !== null;
      return o;
    }),
  );
  const usable = models.filter((m) => cameraUnsupported(m) === null);
  const chosenBase = ui.jobBase.value;
  const bases = usable.map((m) => {
    const o = document.createElement('option');
    o.value = m.name;
    o.textContent = `${m.name} (${m.layout})`;
    return o;
  });
  ui.jobBase.replaceChildren(ui.jobBase.options[0], ...bases);
  ui.jobBase.value = usable.some((m) => m.name === chosenBase) ? chosenBase : '';
  // A 2D model unless the address names one: it takes what the camera sees, no 3D estimate needed.
  const pick = usable.find((m) => m.name === wanted) ?? usable.find((m) => cameraFeed(m) === '2d') ?? usable[0];
  if (pick) ui.model.value = pick.name;
  else
    setStatus(
      'no loaded model takes joints from a camera (2D penn13, coco17, openpose18 or mediapipe33 models; 3D kinect20, ntu25 or mediapipe33 models)',
      true,
    );
}

ui.tokenRow.addEventListener('submit', (e) => e.preventDefault());
ui.model.addEventListener('change', connect);
// The token is the tab's (src/ui/api.ts), shared with the live page.
ui.token.value = token() ?? '';
ui.token.addEventListener('change', () => {
  setToken(ui.token.value);
  void loadModels();
});
ui.start.addEventListener('click', () => void startCamera());
ui.stop.addEventListener('click', () => void stopCamera());
ui.record.addEventListener('click', toggleRecording);
ui.save.addEventListener('click', save);
ui.loadTakes.addEventListener('change', () => void loadTakes());
ui.train.addEventListener('click', () => void train());
void loadModels().then(() => {
  if (new URLSearchParams(location.search).get('start') === '1') void startCamera();
});
