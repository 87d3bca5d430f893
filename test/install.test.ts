// A quiet, offline install: npm prints no warning about this project's configuration, no locked package
// needs a newer Node than package.json's `engines` promises (npm ci's EBADENGINE), and dependencies' install
// scripts are skipped, each for a known reason (onnxruntime-node's would download CUDA libraries).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

/** Why skipping each dependency's install script is fine. A new one fails here until it is reviewed. */
const SKIPPED_INSTALL_SCRIPTS: Record<string, string> = {
  'onnxruntime-node': 'downloads the CUDA provider from the internet; the CPU runtime ships in the package',
  esbuild: 'only checks and links the platform binary, which its optional @esbuild/* package already holds',
  protobufjs: "checks its command line tool's dependencies; onnx-proto uses only the library",
};

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const parts = text.replace(/\.\*$/, '').split('.').map(Number);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** One comparator of an `engines` range: `>=20.19.0`, `<21`, `^18`, `20.*`. */
function meets(version: Version, comparator: string): boolean {
  const m = /^(>=|<=|>|<|\^|~)?(\d+(?:\.\d+)*(?:\.[*x])?)$/.exec(comparator);
  assert.ok(m, `engines comparator ${JSON.stringify(comparator)}: a form this test does not read`);
  const bound = parseVersion(m[2].replace(/\.x$/, '.*'));
  const c = compare(version, bound);
  if (m[1] === '>=') return c >= 0;
  if (m[1] === '>') return c > 0;
  if (m[1] === '<=') return c <= 0;
  if (m[1] === '<') return c < 0;
  if (m[1] === '~') return version[0] === bound[0] && version[1] === bound[1] && c >= 0;
  return version[0] === bound[0] && c >= 0; // ^X, X.*, X
}

/** Whether `version` satisfies an `engines` range: comparator sets (`>=20.19.0 <21`) joined by `||`. */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((set) =>
    set
      .trim()
      .replace(/(>=|<=|>|<|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => meets(version, comparator)),
  );
}

describe('install', () => {
  it('npm warns about nothing in this project (no unknown .npmrc keys)', (t) => {
    const npm = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    if (npm.error) return t.skip(`npm could not run: ${npm.error.message}`);
    assert.equal(npm.status, 0, npm.stderr);
    assert.equal(npm.stderr, '', 'npm printed warnings');
    assert.equal(npm.stdout.trim(), 'true', '.npmrc skips dependencies install scripts');
  });

  it('every locked package runs on the oldest Node that package.json promises', () => {
    const floor = /^>=\s*(\d+(?:\.\d+)*)$/.exec(readJson('package.json').engines.node);
    assert.ok(floor, 'engines.node is a >= range');
    const oldest = parseVersion(floor[1]);
    const lock = readJson('package-lock.json');
    const tooNew = Object.entries<any>(lock.packages)
      .filter(([name, p]) => name !== '' && p.engines?.node && !satisfies(oldest, p.engines.node))
      .map(([name, p]) => `${name} needs node ${p.engines.node}`);
    assert.deepEqual(tooNew, [], `packages that npm ci warns about (EBADENGINE) on Node ${oldest.join('.')}`);
  });

  it('the dependencies with install scripts are the reviewed ones, whose scripts are not needed', () => {
    const lock = readJson('package-lock.json');
    const withScripts = Object.entries<any>(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([name]) => name.slice(name.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .sort();
    assert.deepEqual(withScripts, Object.keys(SKIPPED_INSTALL_SCRIPTS).sort());
  });

  it('reads the engines ranges that locked packages use', () => {
    assert.equal(satisfies([20, 0, 0], '>=22'), false);
    assert.equal(satisfies([20, 0, 0], '>= 18.0.0'), true);
    assert.equal(satisfies([20, 0, 0], '^16 || ^18 || >=20'), true);
    assert.equal(satisfies([20, 0, 0], '^16 || ^18'), false);
    assert.equal(satisfies([20, 0, 0], '10.* || >= 12.*'), true);
    assert.equal(satisfies([20, 0, 0], '>= 10.x'), true);
    assert.equal(satisfies([20, 0, 0], '>=20.19'), false);
    assert.equal(satisfies([20, 19, 0], '>=22.12.0 || >=20.19.0 <21.0.0'), true);
    assert.equal(satisfies([21, 0, 0], '>=22.12.0 || >=20.19.0 <21.0.0'), false);
  });
});
