// The live page in a real browser (playwright-core driving Debian's chromium) against a real server with
// the shipped models: it loads without console errors, with a short note rather than an empty view before a
// source; /?demo=1 shows the label the stream API answers for the same frames; a dropped recording plays
// (NTU .skeleton to a stream model and to a segment model over HTTP, PKU-MMD text; a penn13 clip to a 2D
// model, sent as 2 floats per joint); the model card shows
// the model's curves and confusion matrix; the neurons view draws; keyboard and narrow screens work.
// Skips, saying why, where no Chromium is installed. UI_SCREENSHOTS=DIR also saves the README's screenshots.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { formatSkeleton } from '../src/data/ntu-writer.js';
import { generateSample } from '../src/data/synth/generate.js';
import { parseUserSample } from '../src/data/user-format.js';
import { DEFAULT_UI_DIR } from '../src/serve/routes/ui.js';
import type { RunningServer } from '../src/server.js';
import { CHROMIUM, NO_CHROMIUM } from './helpers/browser.js';
import { bodyAt, frameIn } from './helpers/keypoint-body.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';
import { f32, StreamClient } from './helpers/stream.js';

const SHOTS = process.env.UI_SCREENSHOTS;

describe('the live page in Chromium', { skip: NO_CHROMIUM }, () => {
  let srv: RunningServer;
  let browser: Browser;
  before(async () => {
    srv = await startLoopbackServer('models', { batch: { maxBatch: 8, maxDelayMs: 0, maxQueue: 256 } });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await srv?.shutdown('test end');
  });

  /** A fresh page that records console errors and uncaught exceptions. */
  async function open(path: string, viewport = { width: 1280, height: 900 }) {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(60_000); // a busy machine (the whole suite on 2 cores) is slow, not wrong
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    await page.goto(srv.url + path);
    return { page, problems };
  }

  /** The current label, its probability's text and the frame it was predicted at, read together, once frame >= minFrame. */
  async function labelAt(page: Page, minFrame: number): Promise<{ label: string; probability: string; frame: number }> {
    await page.waitForFunction(
      (min) => Number(document.querySelector('[data-testid=current-label]')?.getAttribute('data-frame') ?? -1) >= min,
      minFrame,
      { timeout: 60_000 },
    );
    return page.evaluate(() => {
      const el = document.querySelector('[data-testid=current-label]')!;
      const probability = document.querySelector('[data-testid=current-probability]')?.textContent ?? '';
      return { label: el.textContent ?? '', probability, frame: Number(el.getAttribute('data-frame')) };
    });
  }

  /** How many of the canvas's pixels are not transparent. */
  const paintedPixels = (page: Page, selector: string) =>
    page.$$eval(selector, (canvases) =>
      (canvases as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      }),
    );

  it('loads without console errors and lists the models', async () => {
    const { page, problems } = await open('/');
    await page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
    const options = await page.$$eval('[data-testid=model-picker] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    const served = (await (await fetch(`${srv.url}/v1/models`)).json()) as { models: { name: string }[] };
    assert.ok(served.models.length >= 4, 'the shipped models');
    assert.deepEqual(options.sort(), served.models.map((m) => m.name).sort());
    assert.match((await page.textContent('[data-testid=model-card]')) ?? '', /held-out accuracy/);
    // No source yet: a line saying what to do, not an empty canvas; no timeline with nothing in it.
    assert.match((await page.textContent('[data-testid=view-empty]')) ?? '', /No source yet/);
    assert.equal(await page.isVisible('[data-testid=skeleton]'), false);
    assert.equal(await page.isVisible('[data-testid=timeline]'), false);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("the model card shows the model's training curves and confusion matrix, as images", async () => {
    const { page, problems } = await open('/?model=nucla');
    const plots = () =>
      page.waitForFunction(() => {
        const imgs = [...document.querySelectorAll<HTMLImageElement>('[data-testid=plots] img')];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0) ? imgs.length : false;
      });
    assert.equal(await (await plots()).jsonValue(), 2);
    const captions = await page.$$eval('[data-testid=plots] figcaption', (fs) => fs.map((f) => f.textContent));
    assert.match(captions[0] ?? '', /Training curves.*\(nucla-curves\.svg\)/);
    assert.match(captions[1] ?? '', /Confusion matrix.*\(nucla-confusion\.svg\)/);
    // Another model: its own plots (the detection model has curves only).
    await page.selectOption('[data-testid=model-picker]', 'pku-mmd-detect');
    await page.waitForFunction(() =>
      /pku-mmd-detect-curves/.test(document.querySelector('[data-testid=plots]')?.textContent ?? ''),
    );
    assert.equal(await (await plots()).jsonValue(), 1);
    // A model trained on every sample says it has no held-out figure of its own, not a bare dash.
    await page.selectOption('[data-testid=model-picker]', 'penn-action');
    await page.waitForFunction(() =>
      /held-out accuracynone: trained on every sample/.test(
        document.querySelector('[data-testid=model-card]')?.textContent ?? '',
      ),
    );
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('/?demo=1 plays the demo and shows the label the stream API gives for the same frames', async () => {
    const { page, problems } = await open('/?demo=1');
    const seen = await labelAt(page, 60);
    assert.match((await page.textContent('[data-testid=source-name]')) ?? '', /ntu25, 1 body, labelled/);
    // Space pauses (keyboard control; checked now, long before the 25 s demo ends by itself).
    await page.locator('body').press('Space');
    assert.equal(await page.textContent('[data-testid=play-button]'), 'Play');
    assert.equal(await page.inputValue('[data-testid=model-picker]'), 'ntu-synth-stream');
    // The same frames over the stream API from here: the page's recording is the bundled demo.
    const lines = readFileSync(join(DEFAULT_UI_DIR, 'demo.jsonl'), 'utf8');
    const demo = parseUserSample(JSON.parse(lines), 'demo.jsonl');
    const frameSize = 2 * 25 * 3;
    const frames = new Float32Array((seen.frame + 1) * frameSize);
    for (let t = 0; t <= seen.frame; t++) frames.set(demo.data.subarray(t * 75, (t + 1) * 75), t * frameSize);
    const c = await StreamClient.open(`${srv.url.replace('http', 'ws')}/v1/models/ntu-synth-stream/stream`);
    for (let t = 0; t <= seen.frame; t += 100) {
      c.send(f32(frames.subarray(t * frameSize, Math.min(seen.frame + 1, t + 100) * frameSize)));
    }
    const api = await c.until((m) => m.type === 'prediction' && m.frame === seen.frame, 20_000);
    c.close();
    assert.equal(seen.label, api.label, `frame ${seen.frame}`);
    // The page shows one decimal of a percentage (runs batched with other streams may differ in the last bits).
    const shown = Number.parseFloat(seen.probability);
    assert.ok(
      Math.abs(shown - 100 * api.probability) <= 0.051,
      `frame ${seen.frame}: ${seen.probability} vs ${api.probability}`,
    );
    // The page's other views are live too: top 5, numbers, the truth row, the neurons' heat maps.
    assert.equal(await page.locator('[data-testid=top-k] li').count(), 5);
    assert.match((await page.textContent('[data-testid=latency]')) ?? '', /ms$/);
    assert.match((await page.textContent('[data-testid=fps]')) ?? '', /^\d+$/, 'frames sent a second, measured');
    assert.match((await page.textContent('[data-testid=provider]')) ?? '', /^(CPU|CUDA)$/);
    assert.match((await page.textContent('[data-testid=timeline-changes]')) ?? '', /truth: /);
    assert.ok((await paintedPixels(page, '[data-testid=timeline]'))[0] > 0);
    const heat = await paintedPixels(page, '#neurons canvas.heat');
    assert.equal(heat.length, 5);
    assert.ok(
      heat.every((n) => n > 0),
      `heat maps ${heat}`,
    );
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.locator('body').press('Space');
      await labelAt(page, seen.frame + 240);
      await page.locator('body').press('Space');
      await page.screenshot({ path: join(SHOTS, 'ui-demo.jpg'), type: 'jpeg', quality: 60, fullPage: true });
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('a dropped NTU recording plays to a stream model and to a segment model; PKU-MMD text loads', async () => {
    const { page, problems } = await open('/');
    await page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
    const name = 'S001C001P001R001A023.skeleton';
    const text = formatSkeleton(generateSample(5, { setup: 1, camera: 1, performer: 1, replication: 1, action: 23 }));
    const drop = (fileName: string, content: string) =>
      page.evaluate(
        ([n, t]) => {
          const dt = new DataTransfer();
          dt.items.add(new File([t], n));
          const zone = document.querySelector('[data-testid=drop-zone]')!;
          zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        [fileName, content],
      );
    await drop(name, text);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=source-name]')?.textContent?.includes(n),
      name,
    );
    await page.selectOption('[data-testid=model-picker]', 'ntu-synth-stream');
    await page.click('[data-testid=play-button]');
    const streamed = await labelAt(page, 20);
    assert.ok(streamed.label.length > 0);
    assert.match((await page.textContent('[data-testid=timeline-changes]')) ?? '', /truth: hand waving/);
    // A segment model cannot stream: the page asks HTTP predict about the last seconds instead.
    await page.selectOption('[data-testid=model-picker]', 'ntu-synth');
    await page.click('[data-testid=play-button]');
    await labelAt(page, 20);
    assert.match((await page.textContent('[data-testid=mode]')) ?? '', /HTTP predict/);
    // JSON Lines in another layout: the page switches to the model that takes it (nucla: kinect20).
    const kinect = Array.from({ length: 20 }, (_, j) => [0.05 * (j % 5) - 0.1, 0.9 - 0.09 * j, 3]);
    const clip = {
      id: 'clip-1',
      layout: 'kinect20',
      fps: 30,
      label: 'pick up with one hand',
      frames: Array.from({ length: 60 }, () => kinect),
    };
    await drop('clip.jsonl', `${JSON.stringify(clip)}\n`);
    await page.waitForFunction(() => /switched to nucla/.test(document.getElementById('status')?.textContent ?? ''));
    assert.equal(await page.inputValue('[data-testid=model-picker]'), 'nucla');
    await page.click('[data-testid=play-button]');
    await labelAt(page, 20);
    // PKU-MMD: one line of 2 x 25 x 3 numbers per frame. It switches the model again; that model's neurons
    // are held back until a later file has been dropped, as on a busy server, where they arrive late.
    let releaseNeurons = () => {};
    const neuronsHeld = new Promise<void>((r) => {
      releaseNeurons = r;
    });
    await page.route('**/neurons', async (route) => {
      await neuronsHeld;
      await route.continue();
    });
    const row = Array.from({ length: 150 }, (_, k) => (k < 75 ? ((k % 3) - 1) * 0.3 + (k % 3 === 2 ? 3 : 0) : 0));
    await drop('0002-M.txt', Array.from({ length: 45 }, () => row.join(' ')).join('\n'));
    await page.waitForFunction(() =>
      /0002-M\.txt: 45 frames/.test(document.querySelector('[data-testid=source-name]')?.textContent ?? ''),
    );
    // A file the page cannot read says why, and nothing breaks.
    await drop('notes.skeleton', 'not a skeleton');
    await page.waitForFunction(() =>
      /notes\.skeleton line 1/.test(document.getElementById('status')?.textContent ?? ''),
    );
    // The earlier file's late model switch does not overwrite that message.
    releaseNeurons();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=neurons] figure').length > 0);
    assert.match((await page.textContent('#status')) ?? '', /notes\.skeleton line 1/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('a 2D model gets 2 floats per joint from a dropped penn13 recording, and answers as its API does', async () => {
    const dir = modelDir({ 'penn.onnx': { kind: 'skeleton', name: 'penn', layout: 'penn13', seed: 3, classes: 15 } });
    const srv2d = await startLoopbackServer(dir);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    const sizes: number[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload !== 'string') sizes.push(f.payload.length);
      }),
    );
    try {
      await page.goto(`${srv2d.url}/`);
      await page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
      const frames = Array.from({ length: 90 }, (_, t) => frameIn('penn13', bodyAt(t)));
      const clip = { id: 'walk', layout: 'penn13', fps: 30, frames };
      await page.evaluate(
        (text) => {
          const dt = new DataTransfer();
          dt.items.add(new File([text], 'walk.jsonl'));
          const zone = document.querySelector('[data-testid=drop-zone]')!;
          zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        `${JSON.stringify(clip)}\n`,
      );
      await page.waitForFunction(() =>
        /walk/.test(document.querySelector('[data-testid=source-name]')?.textContent ?? ''),
      );
      assert.equal(await page.inputValue('[data-testid=model-picker]'), 'penn');
      await page.click('[data-testid=play-button]');
      const seen = await labelAt(page, 20);
      assert.ok(
        sizes.length > 0 && sizes.every((n) => n > 0 && n % (13 * 2 * 4) === 0),
        `sizes ${[...new Set(sizes)]}`,
      );
      const r = await fetch(`${srv2d.url}/v1/models/penn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ frames: frames.slice(0, seen.frame + 1) }),
      });
      const api = ((await r.json()) as any).predictions[0];
      assert.equal(seen.label, api.label, `frame ${seen.frame}`);
      assert.ok(Math.abs(Number.parseFloat(seen.probability) - 100 * api.probability) <= 0.051);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      await srv2d.shutdown('test end');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the neurons view draws each layer's |u| and time constants", async () => {
    const { page, problems } = await open('/?model=nucla');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=neurons] figure').length > 0);
    const figures = await page.locator('[data-testid=neurons] figure').count();
    assert.equal(figures, 4); // nucla: 4 recurrent layers
    // Drawn once laid out, at their size on the screen (bars, axes and their numbers).
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('[data-testid=neurons] canvas.histogram')].every(
        (c) =>
          c.width > 0 &&
          c
            .getContext('2d')!
            .getImageData(0, 0, c.width, c.height)
            .data.some((v) => v > 0),
      ),
    );
    const painted = await paintedPixels(page, '[data-testid=neurons] figure canvas.histogram');
    assert.equal(painted.length, 2 * figures);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('with --token: asks for it, then lists the models and streams with it', async () => {
    const guarded = await startLoopbackServer('models', { token: 'page-secret' });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(60_000);
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${guarded.url}/?demo=1`);
      await page.waitForSelector('[data-testid=token]', { state: 'visible' });
      assert.match((await page.textContent('[data-testid=status]')) ?? '', /token/);
      await page.fill('[data-testid=token]', 'page-secret');
      await page.press('[data-testid=token]', 'Enter');
      const seen = await labelAt(page, 15);
      assert.ok(seen.label.length > 0);
      assert.deepEqual(problems, []);
      await page.close();
    } finally {
      await guarded.shutdown('test end');
    }
  });

  it('narrow screens: one column, nothing wider than the screen', async () => {
    const { page, problems } = await open('/?demo=1', { width: 390, height: 844 });
    await labelAt(page, 30);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'ui-narrow.jpg'), type: 'jpeg', quality: 70 });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
