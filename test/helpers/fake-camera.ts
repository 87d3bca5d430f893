// A fake webcam for the camera page's browser test: a short Y4M video of a still photo of a person, for
// Chromium's --use-file-for-fake-video-capture. The photo comes from a Debian package (nothing is
// committed); Chromium itself decodes it (no image library), and the frames are written as I420.
import { existsSync, writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Photos of a person that Debian packages ship, first found wins; PERSON_PHOTO=path overrides. */
export const PERSON_PHOTOS = [
  '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg', // python-matplotlib-data
  '/usr/lib/python3/dist-packages/matplotlib/mpl-data/sample_data/grace_hopper.jpg', // python3-matplotlib
  '/usr/lib/python3/dist-packages/skimage/data/astronaut.png', // python3-skimage
];

export function findPersonPhoto(): string | null {
  const given = process.env.PERSON_PHOTO;
  if (given) return existsSync(given) ? given : null;
  return PERSON_PHOTOS.find((p) => existsSync(p)) ?? null;
}

/** The photo, letterboxed into W x H, as RGBA bytes (decoded and scaled by the browser). */
async function photoPixels(browser: Browser, photo: Buffer, mime: string, W: number, H: number): Promise<Uint8Array> {
  const page = await browser.newPage();
  try {
    const b64 = await page.evaluate(
      async ({ src, W, H }) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = W;
        c.height = H;
        const g = c.getContext('2d')!;
        g.fillStyle = '#808080';
        g.fillRect(0, 0, W, H);
        const k = Math.min(W / img.width, H / img.height);
        const w = img.width * k;
        const h = img.height * k;
        g.drawImage(img, (W - w) / 2, (H - h) / 2, w, h);
        const px = g.getImageData(0, 0, W, H).data;
        let s = '';
        for (let i = 0; i < px.length; i += 0x8000) s += String.fromCharCode(...px.subarray(i, i + 0x8000));
        return btoa(s);
      },
      { src: `data:${mime};base64,${photo.toString('base64')}`, W, H },
    );
    return new Uint8Array(Buffer.from(b64, 'base64'));
  } finally {
    await page.close();
  }
}

/** RGBA [H, W, 4] -> one I420 frame (full-range BT.601, as JPEG): Y plane, then U and V at half size. */
function i420(rgba: Uint8Array, W: number, H: number): Buffer {
  const out = Buffer.alloc((W * H * 3) / 2);
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let i = 0; i < W * H; i++) {
    const [r, g, b] = [rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]];
    out[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
  }
  for (let y = 0; y < H / 2; y++)
    for (let x = 0; x < W / 2; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        const i = ((2 * y + dy) * W + 2 * x + dx) * 4;
        r += rgba[i] / 4;
        g += rgba[i + 1] / 4;
        b += rgba[i + 2] / 4;
      }
      out[W * H + y * (W / 2) + x] = clamp(-0.1687 * r - 0.3313 * g + 0.5 * b + 128);
      out[(W * H * 5) / 4 + y * (W / 2) + x] = clamp(0.5 * r - 0.4187 * g - 0.0813 * b + 128);
    }
  return out;
}

/** Writes `frames` frames of the photo at 30 frames/s as Y4M (Chromium loops it). */
export async function writePhotoVideo(
  browser: Browser,
  photo: Buffer,
  mime: string,
  out: string,
  { width = 640, height = 480, frames = 15 } = {},
): Promise<void> {
  const frame = i420(await photoPixels(browser, photo, mime, width, height), width, height);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), frame);
  writeFileSync(out, Buffer.concat(parts));
}
