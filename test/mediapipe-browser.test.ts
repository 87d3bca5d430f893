// The camera page in headless Chromium with a fake webcam (a still photo of a person, as a Y4M video):
// MediaPipe Pose loads from this server only once the camera starts, finds the person's landmarks, the
// page picks the served 2D model by default and streams it MediaPipe's picture landmarks (2 floats per
// joint, pixels) over the WebSocket API at the camera's rate and shows a label; a 3D model gets joints in
// its layout; a segment model gets HTTP predict over the last seconds; a recording saves as JSON Lines that
// the trainer's reader takes. The page says it waits for the pose estimator before its first (slow) answer,
// and shows the rates it measures. No request leaves the local server; the pages' layout holds with the
// camera's picture in them. Skips, saying why, without Chromium or a photo of a person (apt-get install
// chromium python-matplotlib-data).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { parseUserSample } from '../src/data/user-format.js';
import type { RunningServer } from '../src/server.js';
import { CHROMIUM } from './helpers/browser.js';
import { findPersonPhoto, writePhotoVideo } from './helpers/fake-camera.js';
import { layoutProblems } from './helpers/layout.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

const PHOTO = findPersonPhoto();
const SKIP = !CHROMIUM
  ? "no Chromium: install Debian's chromium (apt-get install chromium) or set CHROMIUM=/path/to/chromium"
  : !PHOTO
    ? 'no photo of a person: apt-get install python-matplotlib-data (grace_hopper.jpg), or set PERSON_PHOTO=/path/to/photo'
    : false;
/**
 * A click in one step (page.click's checks each wait for the page's thread, which MediaPipe keeps busy
 * for seconds at a time on a machine without a GPU).
 */
const click = (page: Page, selector: string) => page.$eval(selector, (e) => (e as HTMLElement).click());

const NUCLA = join(import.meta.dirname, '..', '..', 'models', 'nucla.onnx');

describe('the camera page in Chromium with a fake webcam', { skip: SKIP }, () => {
  let dir: string;
  let tmp: string;
  let srv: RunningServer;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const problems: string[] = [];
  const framesSent: number[] = [];
  /** Binary frame sizes sent, by the model of the stream. */
  const sentTo: Record<string, number[]> = {};

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'indrnn-camera-'));
    dir = modelDir({
      'ratey.onnx': {
        kind: 'skeleton',
        name: 'ratey',
        seed: 5,
        metadata: { sampling: JSON.stringify({ kind: 'rate', fps: 10, window: 8 }) },
      },
      'nucla.onnx': readFileSync(NUCLA),
      'penn.onnx': { kind: 'skeleton', name: 'penn', layout: 'penn13', seed: 3, classes: 15 },
    });
    srv = await startLoopbackServer(dir);
    const video = join(tmp, 'person.y4m');
    const decoder = await chromium.launch({ executablePath: CHROMIUM! });
    try {
      const ext = extname(PHOTO!).toLowerCase();
      // 320 x 240: MediaPipe's models see 256 x 256 at most; a smaller picture costs the machine less.
      await writePhotoVideo(decoder, readFileSync(PHOTO!), ext === '.png' ? 'image/png' : 'image/jpeg', video, {
        width: 320,
        height: 240,
      });
    } finally {
      await decoder.close();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM!,
      args: [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
    });
    const context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    const origin = new URL(srv.url).host;
    // Every request is recorded; one for anywhere but this server is refused (and fails the test).
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === origin || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (ws) => {
      requests.push(ws.url());
      const model = decodeURIComponent(new URL(ws.url()).pathname.split('/')[3]);
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string') return;
        framesSent.push(f.payload.length);
        sentTo[model] ??= [];
        sentTo[model].push(f.payload.length);
      });
    });
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await srv?.shutdown('test end');
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('picks the 2D model, loads MediaPipe only once the camera starts, finds the person, streams picture landmarks and shows a label', {
    timeout: 300_000,
  }, async () => {
    await page.goto(`${srv.url}/camera?pose=0`);
    // The 2D model is the default, and the list says which models suit a webcam.
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement).value === 'penn');
    const options = await page.$$eval('#model option', (os) => os.map((o) => o.textContent ?? ''));
    assert.deepEqual(
      options.filter((o) => /suits a webcam/.test(o)),
      ['penn (penn13, 2D keypoints: suits a webcam)'],
    );
    assert.ok(
      options.some((o) => /^ratey \(ntu25, 3D/.test(o)),
      JSON.stringify(options),
    );
    assert.match((await page.textContent('#privacy')) ?? '', /video never leaves this browser/);
    assert.equal(requests.filter((u) => u.includes('/mediapipe/')).length, 0, 'MediaPipe not loaded before the camera');

    // Every status the page shows, in order (a fast pose estimator may pass the waiting one within a frame).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statuses: string[] }).statuses = seen;
      const status = document.getElementById('status')!;
      new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await click(page, '#start');
    await page.waitForFunction(() => document.getElementById('found')?.textContent?.startsWith('33 landmarks'), null, {
      timeout: 240_000,
    });
    await page.waitForFunction(() => (document.getElementById('label')?.textContent ?? '–') !== '–', null, {
      timeout: 60_000,
    });
    const statuses = await page.evaluate(() => (window as unknown as { statuses: string[] }).statuses);
    const waiting = statuses.findIndex((s) => /^waiting for the pose estimator/.test(s));
    assert.ok(waiting >= 0, `the page said it waits for the pose estimator: ${JSON.stringify(statuses)}`);
    assert.ok(
      statuses.slice(waiting + 1).some((s) => /^streaming joints/.test(s)),
      JSON.stringify(statuses),
    );
    // The joints go out at the camera's 30 frames/s by the clock, the latest pose repeated while MediaPipe
    // works on the next (seconds per frame here, without a GPU).
    await page.waitForFunction(() => Number(document.getElementById('sent')?.textContent) >= 30, null, {
      timeout: 60_000,
    });
    const label = await page.textContent('#label');
    assert.match(label!, /^action \d+$/, 'a label of the model');
    assert.match((await page.textContent('#mode')) ?? '', /WebSocket stream, 2D picture landmarks/);
    assert.ok(
      requests.some((u) => u.includes('/mediapipe/pose/') && u.endsWith('.wasm')),
      'the runtime came from here',
    );
    assert.ok(
      requests.some((u) => u.endsWith('pose_landmark_lite.tflite')),
      `the model came from here: ${requests.filter((u) => u.includes('/mediapipe/'))}`,
    );
    // Binary frames of MediaPipe's picture landmarks: 1 body x 33 landmarks x 2 float32 (x, y).
    const toPenn = sentTo.penn ?? [];
    assert.ok(toPenn.length >= 30, `${toPenn.length} frames sent`);
    assert.ok(
      toPenn.every((n) => n === 33 * 2 * 4),
      `frame sizes ${[...new Set(toPenn)]}`,
    );
    assert.equal(Number(await page.textContent('#camera-fps')), 30, "the fake camera's rate");
    // Measured rates, not the camera's: frames sent a second, and MediaPipe's answers a second.
    await page.waitForFunction(
      () =>
        Number(document.getElementById('fps')?.textContent) > 0 &&
        Number(document.getElementById('pose-rate')?.textContent) > 0,
    );
    const ms = Number(await page.textContent('#pose-ms'));
    assert.ok(ms > 0, 'MediaPipe timed');
    const rate = await page.textContent('#pose-rate');
    console.log(`# MediaPipe Pose (lite) in headless Chromium, software WebGL: ${ms} ms a frame, ${rate} poses/s`);
    assert.deepEqual(await layoutProblems(page), [], 'the camera page with its picture');
  });

  it('a 3D model (ratey, ntu25) gets joints of its layout from the 3D estimate', { timeout: 120_000 }, async () => {
    await page.$eval('#model', (e) => {
      (e as HTMLSelectElement).value = 'ratey';
      e.dispatchEvent(new Event('change'));
    });
    await page.waitForFunction(() => /^action \d$/.test(document.getElementById('label')?.textContent ?? ''), null, {
      timeout: 60_000,
    });
    assert.match((await page.textContent('#mode')) ?? '', /WebSocket stream, MediaPipe's 3D estimate/);
    // Binary frames of the model's layout: 2 bodies x 25 joints (ntu25) x 3 float32.
    const toRatey = sentTo.ratey ?? [];
    assert.ok(toRatey.length > 0, 'frames went to ratey');
    assert.ok(
      toRatey.every((n) => n === 2 * 25 * 3 * 4),
      `frame sizes ${[...new Set(toRatey)]}`,
    );
  });

  it('a segment model (nucla, kinect20) answers over HTTP predict about the last seconds', {
    timeout: 120_000,
  }, async () => {
    const before = requests.filter((u) => u.endsWith('/v1/models/nucla/predict')).length;
    await page.$eval('#model', (e) => {
      (e as HTMLSelectElement).value = 'nucla';
      e.dispatchEvent(new Event('change'));
    });
    await page.waitForFunction(() => (document.getElementById('label')?.textContent ?? '–') !== '–', null, {
      timeout: 60_000,
    });
    const labels = await page.$$eval('#labels option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(labels.includes((await page.textContent('#label')) ?? ''), "one of nucla's labels");
    assert.ok(requests.filter((u) => u.endsWith('/v1/models/nucla/predict')).length > before);
  });

  it('records a labelled take and saves it as JSON Lines the trainer reads', { timeout: 180_000 }, async () => {
    await page.$eval('#action', (e) => {
      (e as HTMLInputElement).value = 'wave';
    });
    await click(page, '#record');
    await page.waitForFunction(
      () => /\((\d{2,}) frames\)/.test(document.getElementById('record')?.textContent ?? ''),
      null,
      { timeout: 60_000 },
    );
    await click(page, '#record');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), click(page, '#save')]);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 1);
    const json = JSON.parse(lines[0]);
    const sample = parseUserSample(json, 'download');
    assert.equal(sample.layout.name, 'mediapipe33');
    assert.equal(sample.label, 'wave');
    assert.ok(sample.T >= 10);
    assert.ok(
      sample.data.some((v) => v !== 0),
      'landmarks, not an absent body',
    );
    assert.equal(json.visibility.length, sample.T);
    assert.equal(json.visibility[0].length, 33);
  });

  it("the live page's Camera source: loaded when chosen, streams the person's joints to a streaming model", {
    timeout: 300_000,
  }, async () => {
    const sentBefore = framesSent.length;
    await page.goto(`${srv.url}/`);
    await page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
    assert.equal(
      requests.filter((u) => u.endsWith('/ui/camera.js')).length,
      0,
      'the camera bundle is not part of the page until chosen',
    );
    await click(page, '[data-testid=source-camera]');
    // nucla takes whole actions (HTTP), a live source streams: the page switches to the streaming model.
    await page.waitForFunction(
      () => /Camera/.test(document.querySelector('[data-testid=source-name]')?.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    assert.ok(requests.some((u) => u.endsWith('/ui/camera.js')));
    assert.match((await page.textContent('[data-testid=camera-privacy]')) ?? '', /video never leaves this browser/);
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=model-picker]') as HTMLSelectElement).value === 'ratey',
    );
    await click(page, '[data-testid=play-button]');
    await page.waitForFunction(
      () => /^action \d$/.test(document.querySelector('[data-testid=current-label]')?.textContent ?? ''),
      null,
      { timeout: 240_000 },
    );
    await page.waitForFunction(() =>
      /33 landmarks · MediaPipe [\d.]+ poses\/s/.test(
        document.querySelector('[data-testid=camera-info]')?.textContent ?? '',
      ),
    );
    assert.deepEqual(await layoutProblems(page), [], 'the live page with the camera');
    const sent = framesSent.slice(sentBefore);
    assert.ok(sent.length > 0 && sent.every((n) => n === 2 * 25 * 3 * 4), `frames ${[...new Set(sent)]}`);
  });

  it('asked nothing of anywhere but the local server, and broke no rule of its page', () => {
    assert.deepEqual(blocked, []);
    const origin = new URL(srv.url).host;
    const elsewhere = requests.filter(
      (u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).host !== origin,
    );
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(problems, []);
  });
});
