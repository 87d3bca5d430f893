// The OpenAPI document (GET /openapi.json) is lint-clean under Redocly's recommended rules, run offline on
// the generated document: every operation has an operationId (the method name of a generated client),
// open routes say they need no token (`security: []`), and `servers` names the serving server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openApiDocument } from '../src/serve/openapi.js';
import { ROUTES, type RouteSpec } from '../src/serve/routes/table.js';

const doc = openApiDocument('0.1.0') as any;
const operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
);

/** Redocly's command line, from the devDependency. */
function redoclyCli(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
  } catch {
    return null;
  }
}

describe('OpenAPI document', () => {
  it('every operation has a unique operationId, a lowerCamel method name', () => {
    const ids = operations.map(({ op }) => op.operationId);
    for (const [i, id] of ids.entries()) assert.match(String(id), /^[a-z][A-Za-z0-9]*$/, operations[i].where);
    assert.equal(new Set(ids).size, ids.length, 'unique');
    assert.equal(doc.paths['/v1/models/{name}/predict'].post.operationId, 'predict');
  });

  it('every operation says what it needs: the bearer token, or nothing (security: [])', () => {
    for (const spec of Object.values(ROUTES) as RouteSpec[]) {
      const { security } = doc.paths[spec.path][spec.method];
      assert.deepEqual(security, spec.auth ? [{ bearer: [] }] : [], `${spec.method} ${spec.path}`);
    }
    assert.deepEqual(doc.paths['/healthz'].get.security, []);
    assert.equal(operations.length, Object.keys(ROUTES).length);
  });

  it('names its server: the one that serves it', () => {
    assert.deepEqual(
      doc.servers.map((s: { url: string }) => s.url),
      ['/'],
    );
  });

  it("passes Redocly's recommended rules with no error and no warning (offline)", async (t) => {
    const cli = redoclyCli();
    if (!cli) return t.skip('@redocly/cli is not installed (npm ci installs it)');
    const dir = mkdtempSync(join(tmpdir(), 'indrnn-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cli, 'lint', file, '--extends', 'recommended', '--format', 'json'],
        {
          // No telemetry and no update check: nothing leaves the machine.
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          timeout: 120_000,
        },
      ).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? e.message }));
      const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
      const problems = report.problems.map(
        (p: any) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? ''})`,
      );
      assert.deepEqual(problems, []);
      assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
