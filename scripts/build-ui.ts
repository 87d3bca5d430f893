// Builds the live web page (src/ui) into dist/ui: the TypeScript bundled into one browser module by esbuild
// (tree-shaken and minified: the page loads three small files and nothing from a CDN), the HTML and CSS
// copied, and the demo recording made by the synthetic generator (a JSON Lines sample with a label per
// frame). Run by `npm run build` after tsc, so `npm ci && npm run build && npm start` serves the page.
//
// The page shares the repository's pure parsing code (src/data: the NTU, JSON Lines and PKU-MMD formats,
// layouts, body selection). Some of those modules also read files with node:fs; their file readers are
// never called by the page, and the bundle is built with every Node built-in replaced by a module whose
// functions throw. Tree-shaking removes them, and `uiBundleReachesNode` (tested) checks it did.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { selectBodies } from '../src/data/bodies.js';
import { ntuActionName } from '../src/data/ntu-actions.js';
import { generateStream } from '../src/data/synth/generate.js';
import { scriptArgs } from './script-args.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const UI_SRC = join(ROOT, 'src', 'ui');
/** Beside this script's build: dist/ui, or dist-test/ui for the tests' build (npm test). */
export const UI_OUT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'ui');
/** The files of the page (what GET / and /ui/* serve), besides the demo recording. */
export const PAGE_FILES = ['index.html', 'style.css', 'app.js'] as const;
export const DEMO_FILE = 'demo.jsonl';
/** Marks every function of a replaced Node built-in: the bundle must not contain it. */
export const NODE_STUB_MARK = 'is not available in the browser';

/** Node built-ins as modules whose exports throw: resolved only where the shared code imports them. */
function nodeStubs(): Plugin {
  const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  return {
    name: 'node-stubs',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) =>
        names.has(args.path) ? { path: args.path, namespace: 'node-stub' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
        // A Proxy cannot give ESM named exports: list the names the shared modules import.
        contents: ['readFileSync', 'existsSync', 'readdirSync', 'statSync', 'join', 'basename', 'dirname']
          .map((n) => `export function ${n}() { throw new Error('${args.path} ${n} ${NODE_STUB_MARK}'); }`)
          .join('\n'),
        loader: 'js',
      }));
    },
  };
}

/** How every page bundle is built: one minified ES module for today's browsers, no source map. */
const BROWSER_BUNDLE: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * `zod` for the page: `import { z } from 'zod'` bundles zod's every locale (its namespace object defeats
 * tree-shaking: 450 KB); the page's shared modules (the JSON Lines schema) use only these builders, which
 * come with zod's core (~26 KB gzip). A builder missing here is undefined in the page: the browser test
 * parses the demo recording with that schema, so it would fail.
 */
function zodBuilders(): Plugin {
  const builders = [
    'array',
    'boolean',
    'enum',
    'literal',
    'number',
    'object',
    'strictObject',
    'string',
    'union',
    'unknown',
  ];
  return {
    name: 'zod-builders',
    setup(b) {
      b.onResolve({ filter: /^zod$/ }, (args) =>
        args.namespace === 'zod-builders' ? undefined : { path: 'zod', namespace: 'zod-builders' },
      );
      b.onLoad({ filter: /.*/, namespace: 'zod-builders' }, () => ({
        contents: `import { ${builders.map((n) => `${n} as ${n}_`).join(', ')} } from 'zod';
export const z = { ${builders.map((n) => `${n}: ${n}_`).join(', ')} };`,
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
}

/** The demo: a synthetic continuous recording (one person, several actions with idle gaps), labelled per frame. */
export function demoRecording(seconds = 24, seed = 11): string {
  const actions = [23, 10, 38, 22, 27, 8, 9, 34];
  const { skeleton, labels } = generateStream(
    seed,
    { setup: 1, camera: 1, performer: 1, replication: 1, action: 0 },
    seconds,
    actions,
  );
  const sel = selectBodies(skeleton, { bodies: 1, joints: 25, dropEmptyFrames: false });
  const J = 25;
  const frames: number[][][] = [];
  const frameLabels: (string | null)[] = [];
  for (let t = 0; t < sel.T; t++) {
    const f: number[][] = [];
    for (let j = 0; j < J; j++) {
      const at = (t * J + j) * 3;
      f.push([0, 1, 2].map((c) => Math.round(sel.data[at + c] * 1000) / 1000));
    }
    frames.push(f);
    const a = labels[sel.frameIndex[t]];
    frameLabels.push(a === 0 ? null : ntuActionName(a));
  }
  const sample = { id: 'demo: synthetic actions (indrnn data synth)', layout: 'ntu25', fps: 30, frames, frameLabels };
  return `${JSON.stringify(sample)}\n`;
}

export interface UiBuild {
  out: string;
  /** Bytes of the page's own files (HTML + JS + CSS), raw and gzipped. */
  bytes: number;
  gzipBytes: number;
}

export async function buildUi(out = UI_OUT): Promise<UiBuild> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(UI_SRC, 'main.ts')],
    outfile: join(out, 'app.js'),
    ...BROWSER_BUNDLE,
    plugins: [nodeStubs(), zodBuilders()],
  });
  // The camera (src/ui/camera): the live page's source, and the camera page (GET /camera), each its own
  // bundle, loaded only when asked for; MediaPipe itself comes from @mediapipe/pose (src/serve/routes/camera.ts).
  await build({
    entryPoints: {
      camera: join(UI_SRC, 'camera', 'camera-source.ts'),
      'camera-page': join(UI_SRC, 'camera', 'page.ts'),
    },
    outdir: out,
    ...BROWSER_BUNDLE,
    plugins: [nodeStubs()],
  });
  copyFileSync(join(UI_SRC, 'camera', 'index.html'), join(out, 'camera.html'));
  copyFileSync(join(UI_SRC, 'camera', 'camera.css'), join(out, 'camera.css'));
  for (const f of ['index.html', 'style.css']) copyFileSync(join(UI_SRC, f), join(out, f));
  writeFileSync(join(out, DEMO_FILE), demoRecording());
  const files = pageWeight(out);
  return {
    out,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
  };
}

/** Each page file's bytes, raw and gzipped (level 9, as served). */
export function pageWeight(dir = UI_OUT): { file: string; bytes: number; gzipBytes: number }[] {
  return PAGE_FILES.map((file) => {
    const data = readFileSync(join(dir, file));
    return { file, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length };
  });
}

/** True when a replaced Node built-in survived tree-shaking (the page would throw where it calls it). */
export function uiBundleReachesNode(out = UI_OUT): boolean {
  return readFileSync(join(out, 'app.js'), 'utf8').includes(NODE_STUB_MARK);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { positionals } = scriptArgs({
    name: 'build-ui',
    about: 'build the live web page (src/ui) into a folder: the bundle (esbuild), the HTML and CSS, the demo recording',
    positionals: { usage: '[OUT_DIR]', min: 0, max: 1 },
    options: {},
    examples: ['node dist/scripts/build-ui.js            (into dist/ui, as npm run build does)'],
  });
  const built = await buildUi(positionals[0] ?? UI_OUT);
  if (uiBundleReachesNode(built.out)) {
    process.stderr.write(`build-ui: the page's bundle calls a Node built-in (search app.js for "${NODE_STUB_MARK}")\n`);
    process.exit(1);
  }
  process.stdout.write(
    `build-ui: ${built.out} (page ${(built.bytes / 1024).toFixed(1)} KiB, gzip ${(built.gzipBytes / 1024).toFixed(1)} KiB)\n`,
  );
}
