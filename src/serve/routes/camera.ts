// The camera page (src/ui/camera, docs/mediapipe.md) and what MediaPipe needs, all from this server: the
// page's HTML, built into the page folder (dist/ui) beside its bundle (served by ui.ts), and the files of the
// npm package @mediapipe/pose (BlazePose's models and WebAssembly runtime) from node_modules, for the
// camera page and the live page's camera source alike. Only listed files are served; the pose files are
// asked for only once the user starts the camera. The pages' Content-Security-Policy (ui.ts) allows this
// origin alone, plus compiling WebAssembly ('wasm-unsafe-eval') for MediaPipe.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Response, Router } from 'express';
import { ApiError } from '../../predict/errors.js';
import { ROUTES, route } from './table.js';
import { DEFAULT_UI_DIR, PAGE_CSP } from './ui.js';

const JS = 'text/javascript; charset=utf-8';
const BINARY = 'application/octet-stream';

/** The files of @mediapipe/pose the page may load, and their types (WebAssembly must be application/wasm). */
const POSE_FILES: Readonly<Record<string, string>> = {
  'pose.js': JS,
  'pose_solution_packed_assets_loader.js': JS,
  'pose_solution_packed_assets.data': BINARY,
  'pose_solution_simd_wasm_bin.js': JS,
  'pose_solution_simd_wasm_bin.wasm': 'application/wasm',
  'pose_solution_simd_wasm_bin.data': BINARY,
  'pose_solution_wasm_bin.js': JS,
  'pose_solution_wasm_bin.wasm': 'application/wasm',
  'pose_web.binarypb': BINARY,
  'pose_landmark_lite.tflite': BINARY,
  'pose_landmark_full.tflite': BINARY,
  'pose_landmark_heavy.tflite': BINARY,
};

/** Where @mediapipe/pose is installed and its version, or null when it is not. */
export function mediapipePosePackage(): { dir: string; version: string } | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@mediapipe/pose/package.json');
    return { dir: dirname(pkg), version: (require(pkg) as { version: string }).version };
  } catch {
    return null;
  }
}

function notFound(what: string, details: Record<string, unknown>): ApiError {
  return new ApiError('not_found', what, details);
}

function sendFile(res: Response, path: string, type: string, cache: string, what: string): Promise<void> {
  if (!existsSync(path)) throw notFound(`${what} is missing on the server (${path}): run \`npm run build\``, {});
  res.setHeader('Cache-Control', cache);
  res.type(type);
  return new Promise((resolve, reject) => {
    res.sendFile(path, { cacheControl: false, lastModified: false, dotfiles: 'deny' }, (err) =>
      err && !res.headersSent ? reject(sendError(err, what, res.req.get('if-match') !== undefined)) : resolve(),
    );
  });
}

/**
 * What `send` refuses from the request's own headers (a Range outside the file, an If-Match or
 * If-Unmodified-Since that cannot hold: these files carry no validators) is the client's, not a 500.
 */
function sendError(err: Error & { status?: number }, what: string, ifMatch: boolean): Error {
  if (err.status === 416) {
    return new ApiError('range_not_satisfiable', `Range: outside ${what}`, 'Range');
  }
  if (err.status === 412) {
    const field = ifMatch ? 'If-Match' : 'If-Unmodified-Since';
    return new ApiError('precondition_failed', `${field}: ${what} has no validators, the condition cannot hold`, field);
  }
  return err;
}

export function cameraRoutes({ dir = DEFAULT_UI_DIR }: { dir?: string } = {}): Router {
  const router = Router();
  const pose = mediapipePosePackage();

  route(router, ROUTES.cameraPage, async (_req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    await sendFile(res, join(dir, 'camera.html'), 'text/html; charset=utf-8', 'no-cache', 'the camera page');
  });

  route(router, ROUTES.mediapipeFile, async (req, res) => {
    const { version, file } = req.params as { version: string; file: string };
    if (!pose) throw notFound('@mediapipe/pose is not installed on this server (npm ci installs it)', {});
    if (version !== pose.version)
      throw notFound(`@mediapipe/pose ${version} is not here (this server has ${pose.version})`, {
        version,
        have: pose.version,
      });
    const type = Object.hasOwn(POSE_FILES, file) ? POSE_FILES[file] : undefined;
    if (!type) throw notFound(`no MediaPipe Pose file '${file}'`, { file, files: Object.keys(POSE_FILES) });
    // The version is in the path: the files never change under it. no-transform: the response compression
    // leaves them alone, or every download of the 6-9 MB runtime and models would be gzipped anew (CPU a client
    // could spend at will); browsers keep them for good.
    const cache = 'public, max-age=31536000, immutable, no-transform';
    await sendFile(res, join(pose.dir, file), type, cache, `@mediapipe/pose ${file}`);
  });

  return router;
}
