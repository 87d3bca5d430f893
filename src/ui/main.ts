// The live page: pick a model, load a source, play it to the model over a WebSocket stream at the
// recording's frame rate, and watch the skeleton, the label, the top 5, the timeline and the network's
// neurons. Segment-sampled models cannot stream (docs/streaming.md): for them the page asks HTTP predict
// about the last few seconds twice a second. `/?demo=1` plays the bundled demo with the default model.
import {
  type ClassStep,
  HttpError,
  listModels,
  type ModelInfo,
  modelNeurons,
  predict,
  type StreamMessage,
  setToken,
  streamUrl,
} from './api.js';
import { mismatch, parentsOf, renderCard, streamable } from './model-card.js';
import { FrameBuffer, nestedFrames } from './model-frames.js';
import { PlotsView } from './model-plots.js';
import { NeuronsView } from './neurons-view.js';
import { Player } from './player.js';
import { RateMeter } from './rate-meter.js';
import { parseRecording, type Recording } from './recording.js';
import { SkeletonView } from './skeleton-view.js';
import { demoSource, recordingSource, SOURCE_KINDS, type Source } from './sources.js';
import { StreamClient } from './stream-client.js';
import { Timeline } from './timeline.js';
import { percent, renderTopK } from './top-k.js';

/** Segment models: HTTP predict over the last SEGMENT_WINDOW_S seconds, every SEGMENT_EVERY_S seconds of playback. */
const SEGMENT_WINDOW_S = 4;
const SEGMENT_EVERY_S = 0.5;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  status: $('status'),
  model: $<HTMLSelectElement>('model'),
  tokenRow: $('token-row'),
  token: $<HTMLInputElement>('token'),
  sources: $('sources'),
  drop: $('drop'),
  file: $<HTMLInputElement>('file'),
  sourceName: $('source-name'),
  play: $<HTMLButtonElement>('play'),
  restart: $<HTMLButtonElement>('restart'),
  speed: $<HTMLSelectElement>('speed'),
  position: $('position'),
  card: $('card-body'),
  viewEmpty: $('view-empty'),
  skeleton: $<HTMLCanvasElement>('skeleton'),
  viewHint: $('view-hint'),
  timelinePanel: $('timeline-panel'),
  label: $('current-label'),
  prob: $('current-prob'),
  topk: $<HTMLOListElement>('topk'),
  fps: $('fps'),
  latency: $('latency'),
  provider: $('provider'),
  mode: $('mode'),
};

const view = new SkeletonView(ui.skeleton, []);
const timeline = new Timeline($<HTMLCanvasElement>('timeline'), $<HTMLOListElement>('changes'), () => -1);
const neurons = new NeuronsView($('neurons'));
const plots = new PlotsView($('plots'));

let models: ModelInfo[] = [];
let model: ModelInfo | null = null;
let source: Source | null = null;
let player: Player | null = null;
let stream: StreamClient | null = null;
/** The source frame the stream's frame 0 is (a stream that idled out is reopened mid-recording). */
let streamBase = 0;
/** A live source's stop function while it runs, and its frames so far. */
let stopLive: (() => void) | null = null;
let liveFrames = 0;
const frameBuffer = new FrameBuffer();
const sent = new RateMeter();
const roundTrips: number[] = [];
let lastSegmentPredict = -Infinity;
let segmentBusy = false;
/** Counts resets: an HTTP answer for an earlier playback is dropped. */
let playback = 0;

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

// ---- prediction display ----

function showPrediction(p: ClassStep, frame: number): void {
  ui.label.textContent = p.label;
  ui.label.dataset.frame = String(frame);
  ui.label.dataset.index = String(p.index);
  ui.prob.textContent = percent(p.probability);
  renderTopK(ui.topk, p.topK);
  timeline.predict(frame, p.label);
}

function noteRoundTrip(ms: number): void {
  roundTrips.push(ms);
  if (roundTrips.length > 30) roundTrips.shift();
  const sorted = [...roundTrips].sort((a, b) => a - b);
  ui.latency.textContent = `${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms`;
}

/** Frames sent per second, as measured (a stalled tab or camera shows it), not the source's nominal rate. */
function noteSent(count: number): void {
  sent.note(count);
  ui.fps.textContent = sent.perSecond().toFixed(0);
}

/** "1 body", "2 bodies". */
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function onStreamMessage(msg: StreamMessage, rtt: number | null): void {
  if (msg.type === 'prediction') {
    if (rtt !== null) noteRoundTrip(rtt);
    const frame = streamBase + msg.frame;
    if ('label' in msg) showPrediction(msg, frame);
    else {
      ui.label.textContent = msg.value.toFixed(3);
      ui.label.dataset.frame = String(frame);
    }
    if (msg.layers) neurons.step(msg.layers);
  } else if (msg.type === 'action') {
    timeline.event(streamBase + msg.frame, `${msg.event} ${msg.label}`);
  } else if (msg.type === 'error') {
    setStatus(`stream: ${msg.message}`, true);
  }
}

// ---- segment models (HTTP) and the player's frames ----

/** Floats per joint the model is sent: x, y for a 2D model (a third value would be read as a score), else 3. */
const channelsOf = (m: ModelInfo): 2 | 3 => (m.dims === 2 ? 2 : 3);

async function segmentPredict(m: ModelInfo, r: Recording, upTo: number): Promise<void> {
  if (segmentBusy) return;
  segmentBusy = true;
  const from = Math.max(0, upTo - Math.round(SEGMENT_WINDOW_S * r.fps));
  const t0 = performance.now();
  const mine = playback;
  try {
    const frames = nestedFrames(r.data, r.bodies, r.joints, from, upTo, m.bodies ?? 1, channelsOf(m));
    const res = await predict(m.name, frames, r.fps);
    if (mine !== playback) return;
    noteRoundTrip(performance.now() - t0);
    showPrediction(res.predictions[0], upTo - 1);
  } catch (e) {
    if (mine === playback) setStatus(`predict: ${(e as Error).message}`, true);
  } finally {
    segmentBusy = false;
  }
}

function onFrames(first: number, count: number): void {
  const r = source?.recording;
  if (!r || !model) return;
  const last = first + count - 1;
  view.draw(r.data, last * r.bodies * r.joints * 3, r.bodies);
  ui.position.textContent = `${(last / r.fps).toFixed(1)} s / ${(r.T / r.fps).toFixed(1)} s`;
  noteSent(count);
  if (stream)
    stream.send(
      frameBuffer.frames(r.data, r.bodies, r.joints, first, count, model.bodies ?? 1, channelsOf(model)),
      count,
    );
  else if (last - lastSegmentPredict >= SEGMENT_EVERY_S * r.fps) {
    lastSegmentPredict = last;
    void segmentPredict(model, r, last + 1);
  }
}

// ---- playback ----

function stopStream(): void {
  stream?.close();
  stream = null;
}

/** Opens the model's stream with frames counted from source frame `base`; false (and why, in the status) if it fails. */
async function openStream(m: ModelInfo, fps: number, base: number): Promise<boolean> {
  const client = new StreamClient(
    streamUrl(m.name),
    { frameRate: fps, topK: 5, layerStates: true, channels: m.dims ?? undefined },
    {
      // Messages of a stream closed on purpose (another model, a restart) may still arrive: not ours.
      onMessage: (msg, rtt) => {
        if (stream === client) onStreamMessage(msg, rtt);
      },
      onClose: (reason) => {
        if (stream !== client) return; // an earlier stream, closed on purpose
        stream = null;
        const playing = player?.isPlaying || stopLive !== null;
        if (playing || reason !== 'idle_timeout') setStatus(`stream closed: ${reason}`, true);
        else setStatus('The stream closed while paused; Play opens a new one (the model starts afresh).');
      },
    },
  );
  stream = client;
  streamBase = base;
  try {
    await client.ready;
    return true;
  } catch (e) {
    if (stream === client) stream = null;
    setStatus((e as Error).message, true);
    return false;
  }
}

/** A live source's frame [bodies * joints * 3]: drawn and streamed like a recording's. */
function onLiveFrame(joints: Float32Array): void {
  const s = source;
  if (!s || !model) return;
  view.draw(joints, 0, s.bodies);
  noteSent(1);
  ui.position.textContent = `${(liveFrames / s.fps).toFixed(1)} s`;
  stream?.send(frameBuffer.frames(joints, s.bodies, s.joints, 0, 1, model.bodies ?? 1, channelsOf(model)), 1);
  liveFrames++;
}

function resetPlayback(): void {
  playback++;
  player?.pause();
  stopLive?.();
  stopLive = null;
  liveFrames = 0;
  stopStream();
  const r = source?.recording;
  player = r ? new Player(r.fps, r.T, { onFrames, onEnd }) : null;
  if (player) player.speed = Number(ui.speed.value);
  lastSegmentPredict = -Infinity;
  roundTrips.length = 0;
  sent.reset();
  ui.fps.textContent = '–';
  ui.label.textContent = '–';
  delete ui.label.dataset.frame;
  ui.prob.textContent = '';
  ui.topk.replaceChildren();
  ui.position.textContent = r ? `0.0 s / ${(r.T / r.fps).toFixed(1)} s` : '0.0 s';
  const names = new Map((model?.labels ?? []).map((l, i) => [l.name, i]));
  // A live source's timeline starts at one minute and grows.
  timeline.start(r?.T ?? 60 * (source?.fps ?? 30), source?.fps ?? 30, r?.truth ?? null, (l) => names.get(l) ?? -1);
  neurons.reset();
  if (r) view.draw(r.data, 0, r.bodies);
  let why = model && source ? mismatch(model, source) : 'choose a model and a source';
  if (!why && model && source && !r && !streamable(model))
    why = `${model.name} needs whole actions: live sources stream`;
  ui.play.disabled = why !== null;
  ui.restart.disabled = why !== null;
  ui.play.textContent = 'Play';
  if (why && model && source) setStatus(why, true);
}

function onEnd(): void {
  ui.play.textContent = 'Play';
  setStatus('Finished: Play starts again.');
  // Let the last predictions arrive, then free the server's stream (it would idle out anyway).
  const done = stream;
  setTimeout(() => {
    if (stream === done && !player?.isPlaying) stopStream();
  }, 2000);
}

async function playLive(s: Source, m: ModelInfo): Promise<void> {
  if (stopLive) {
    stopLive();
    stopLive = null;
    ui.play.textContent = 'Play';
    setStatus('Paused.');
    return;
  }
  ui.play.textContent = 'Pause';
  if (!stream && !(await openStream(m, s.fps, liveFrames))) {
    ui.play.textContent = 'Play';
    return;
  }
  setStatus(`Streaming ${s.name} to ${m.name}.`);
  stopLive = s.start!(onLiveFrame);
}

async function play(): Promise<void> {
  if (!model || !source) return;
  if (!source.recording) {
    if (source.start) await playLive(source, model);
    return;
  }
  if (!player) return;
  if (player.isPlaying) {
    player.pause();
    ui.play.textContent = 'Play';
    setStatus('Paused.');
    return;
  }
  if (player.position >= source.recording.T) resetPlayback();
  ui.play.textContent = 'Pause';
  if (streamable(model) && !stream && !(await openStream(model, source.recording.fps, player.position))) {
    ui.play.textContent = 'Play';
    return;
  }
  setStatus(`Playing ${source.name} to ${model.name}.`);
  player.play();
}

// ---- choosing ----

async function chooseModel(name: string): Promise<void> {
  model = models.find((m) => m.name === name) ?? null;
  if (!model) return;
  ui.model.value = name;
  renderCard(model, ui.card);
  ui.provider.textContent = model.provider.toUpperCase();
  ui.mode.textContent = streamable(model) ? 'WebSocket stream' : 'HTTP predict (segment model)';
  if (source) view.fit(source.recording?.data ?? new Float32Array(0), parentsOf(model, source.layout), source.bodies);
  resetPlayback();
  void plots.show(model);
  neurons.clear('Loading the neurons…');
  try {
    const n = await modelNeurons(model.name);
    if (model?.name === name) neurons.show(n);
  } catch (e) {
    neurons.clear(`No neurons: ${(e as Error).message}`);
  }
}

function useSource(s: Source): void {
  if (source !== s) {
    stopLive?.();
    stopLive = null;
    void source?.close?.();
  }
  source = s;
  const r = s.recording;
  ui.sourceName.textContent = r
    ? `${s.name}: ${r.T} frames at ${r.fps} frames/s (${(r.T / r.fps).toFixed(1)} s), ${s.layout}, ${count(s.bodies, 'body', 'bodies')}${r.truth ? ', labelled' : ''}`
    : s.name;
  // The view: the skeleton canvas, in place of the "no source yet" box.
  ui.viewEmpty.hidden = true;
  ui.skeleton.hidden = false;
  ui.viewHint.hidden = false;
  ui.timelinePanel.hidden = false;
  view.fit(r?.data ?? new Float32Array(0), parentsOf(model, s.layout), s.bodies);
  // A source the chosen model cannot take: switch to one that can, if any.
  const fitting = model && mismatch(model, s) ? defaultModel(s) : undefined;
  if (fitting && !mismatch(fitting, s)) {
    // Said now, not when the model's neurons have loaded: a later file's message must not be overwritten
    // by this one arriving late (chooseModel resets playback before its first await).
    void chooseModel(fitting.name);
    setStatus(`Loaded ${s.name}; switched to ${fitting.name}, which takes ${s.layout}: press Play.`);
    return;
  }
  resetPlayback();
  if (model && !mismatch(model, s)) setStatus(`Loaded ${s.name}: press Play.`);
}

async function openFile(file: File): Promise<void> {
  try {
    useSource(recordingSource(parseRecording(await file.text(), file.name)));
  } catch (e) {
    setStatus((e as Error).message, true);
  }
}

/** The default model for a source: a streamable one of the same layout sharing most labels with its truth. */
function defaultModel(s: Source | null): ModelInfo | undefined {
  const truth = new Set(s?.recording?.truth ?? []);
  const score = (m: ModelInfo) =>
    (s && !mismatch(m, s) ? 1000 : 0) + (streamable(m) ? 100 : 0) + m.labels.filter((l) => truth.has(l.name)).length;
  return [...models].sort((a, b) => score(b) - score(a))[0];
}

// ---- wiring ----

function wire(): void {
  for (const kind of SOURCE_KINDS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = kind.label;
    b.dataset.testid = `source-${kind.id}`;
    b.addEventListener('click', () => {
      kind.open(model).then(useSource, (e: Error) => setStatus(e.message, true));
    });
    ui.sources.append(b);
  }
  ui.model.addEventListener('change', () => void chooseModel(ui.model.value));
  ui.file.addEventListener('change', () => {
    const f = ui.file.files?.[0];
    if (f) void openFile(f);
  });
  ui.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void openFile(f);
  });
  ui.play.addEventListener('click', () => void play());
  ui.restart.addEventListener('click', () => {
    resetPlayback();
    void play();
  });
  ui.speed.addEventListener('change', () => {
    if (player) player.speed = Number(ui.speed.value);
  });
  ui.tokenRow.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(ui.token.value);
    void boot();
  });
  document.addEventListener('keydown', (e) => {
    const tag = (e.target as HTMLElement).tagName;
    if (['INPUT', 'SELECT', 'BUTTON', 'TEXTAREA'].includes(tag)) return;
    if (e.key === ' ') {
      e.preventDefault();
      if (!ui.play.disabled) void play();
    } else if (e.key === 'Home' && !ui.restart.disabled) {
      e.preventDefault();
      resetPlayback();
    }
  });
}

async function boot(): Promise<void> {
  try {
    models = await listModels();
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) {
      ui.tokenRow.hidden = false;
      setStatus('The server wants an API token.', true);
    } else setStatus(`Cannot list the models: ${(e as Error).message}`, true);
    return;
  }
  ui.tokenRow.hidden = true;
  ui.model.replaceChildren(
    ...models.map((m) => {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = `${m.name} (${m.layout ?? 'rows'}, ${m.labels.length} labels${streamable(m) ? '' : ', whole actions'})`;
      return o;
    }),
  );
  const params = new URLSearchParams(location.search);
  const demo = params.get('demo') === '1';
  if (demo) {
    try {
      useSource(await demoSource.open(model));
    } catch (e) {
      setStatus((e as Error).message, true);
      return;
    }
  }
  const wanted = params.get('model');
  await chooseModel(models.find((m) => m.name === wanted)?.name ?? defaultModel(source)?.name ?? models[0].name);
  if (demo && !ui.play.disabled) await play();
  else if (!source) setStatus(`${models.length} models loaded: choose a source.`);
}

wire();
void boot();
