// The live web page (src/ui, built into dist/ui by scripts/build-ui.ts): GET / is its HTML, /ui/{file} its
// script, stylesheet and demo recording. Only those files are served, from memory, gzipped when the client
// accepts it; nothing comes from elsewhere (the page works offline). The page's own Content-Security-Policy
// allows exactly this origin's scripts, styles and connections (the API and its WebSocket streams).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Request, type Response, Router } from 'express';
import { ApiError } from '../../predict/errors.js';
import { ROUTES, route } from './table.js';

/** Where `npm run build` puts the page: dist/ui beside dist/src. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

// 'wasm-unsafe-eval', media and blob: for the camera source (MediaPipe Pose's WebAssembly, the camera's picture).
export const PAGE_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; " +
  "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self' blob:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'demo.jsonl': 'application/x-ndjson; charset=utf-8',
  // The camera's bundles (the live page's source, the camera page) and the camera's stylesheet.
  'camera.js': 'text/javascript; charset=utf-8',
  'camera-page.js': 'text/javascript; charset=utf-8',
  'camera.css': 'text/css; charset=utf-8',
};

interface Asset {
  type: string;
  raw: Buffer;
  gzip: Buffer;
}

export function uiRoutes({ dir = DEFAULT_UI_DIR }: { dir?: string } = {}): Router {
  const router = Router();
  const cache = new Map<string, Asset>();
  const asset = (file: string): Asset => {
    const hit = cache.get(file);
    if (hit) return hit;
    const path = join(dir, file);
    if (!existsSync(path)) {
      throw new ApiError('not_found', `the web page is not built (no ${file} in ${dir}): run \`npm run build\``, {
        file,
      });
    }
    const raw = readFileSync(path);
    const a = { type: FILES[file], raw, gzip: gzipSync(raw, { level: 9 }) };
    cache.set(file, a);
    return a;
  };
  const send = (res: Response, a: Asset, gzip: boolean) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Vary', 'Accept-Encoding');
    res.type(a.type);
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.send(gzip ? a.gzip : a.raw);
  };
  // Express's negotiation: `gzip;q=0` refuses gzip.
  const acceptsGzip = (req: Request) => req.acceptsEncodings('gzip', 'identity') === 'gzip';
  route(router, ROUTES.page, (req, res) => {
    send(res, asset('index.html'), acceptsGzip(req));
  });
  route(router, ROUTES.pageFile, (req, res) => {
    const file = String(req.params.file);
    if (!Object.hasOwn(FILES, file) || file === 'index.html') {
      throw new ApiError('not_found', `no page file '${file}' (the page has ${Object.keys(FILES).join(', ')})`, {
        file,
      });
    }
    send(res, asset(file), acceptsGzip(req));
  });
  return router;
}
