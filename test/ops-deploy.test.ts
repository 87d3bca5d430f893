// The deployment files in deploy/: the Kubernetes manifests validate against the Kubernetes and Prometheus
// Operator schemas (kubernetes-models), the KServe ones carry what KServe needs, they agree with each other
// and with the server (ports, probe paths, environment variables that are real flags), and every metric
// the dashboard and the alerts query is one the server exposes. The alert rules pass `promtool check rules`
// and their unit tests where promtool is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { envName } from '../src/cli/serve.js';
import { ROUTES } from '../src/serve/routes/table.js';
import type { RunningServer } from '../src/server.js';
import { CLI } from './helpers/cli.js';
import { modelDir, rawFrames } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');

/** Every YAML document in a deploy/ folder, parsed (a syntax error fails here, naming the file). */
function manifests(folder: string): { file: string; doc: any }[] {
  const dir = join(DEPLOY, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
        assert.deepEqual(d.errors, [], `${folder}/${file}`);
        return { file, doc: d.toJS() };
      }),
    );
}

const byKind = (docs: { doc: any }[], kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);

/** The serve flags' variables, from the CLI's help. */
function serveVariables(): Set<string> {
  const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).stdout;
  return new Set([...help.matchAll(/ (--[a-z-]+) </g)].map((m) => envName(m[1])));
}

/** Every path an HTTP probe can use: the open GET routes. */
const PROBE_PATHS = new Set(
  Object.values(ROUTES)
    .filter((r) => r.method === 'get' && !r.auth)
    .map((r) => r.path),
);

function checkContainer(c: any, where: string, variables: Set<string>): void {
  for (const e of c.env ?? []) assert.ok(variables.has(e.name), `${where}: ${e.name} is not a serve flag's variable`);
  const port = Number(c.env.find((e: any) => e.name === 'INDRNN_PORT')?.value ?? 8080);
  assert.ok(
    c.ports.some((p: any) => p.containerPort === port),
    `${where}: the container port is INDRNN_PORT`,
  );
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    assert.ok(c[probe]?.httpGet, `${where}: ${probe}`);
    assert.ok(PROBE_PATHS.has(c[probe].httpGet.path), `${where}: ${probe} path ${c[probe].httpGet.path}`);
  }
  assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${where}: resource requests`);
  assert.ok(c.resources?.limits?.memory, `${where}: a memory limit`);
}

describe('deploy/kubernetes', () => {
  const docs = manifests('kubernetes');
  const variables = serveVariables();

  it('every manifest validates against its Kubernetes (or Prometheus Operator) schema', () => {
    const models: Record<string, new (data: any) => { validate(): void }> = {
      Deployment,
      Service,
      HorizontalPodAutoscaler,
      PodDisruptionBudget,
      ServiceMonitor,
      ConfigMap,
    };
    const kinds = docs.map((d) => d.doc.kind).sort();
    assert.deepEqual(kinds, [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Kustomization',
      'PodDisruptionBudget',
      'Service',
      'ServiceMonitor',
    ]);
    for (const { file, doc } of docs) {
      if (doc.kind === 'Kustomization') continue;
      const Model = models[doc.kind];
      assert.doesNotThrow(() => new Model(doc).validate(), `${file}`);
    }
    // The validator does catch a broken manifest.
    const broken = structuredClone(byKind(docs, 'Deployment')[0]);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    assert.throws(() => new Deployment(broken).validate());
  });

  it('the Deployment, Service, HPA, PDB and ServiceMonitor fit together and fit the server', () => {
    const [deployment] = byKind(docs, 'Deployment');
    const [service] = byKind(docs, 'Service');
    const [hpa] = byKind(docs, 'HorizontalPodAutoscaler');
    const [pdb] = byKind(docs, 'PodDisruptionBudget');
    const [monitor] = byKind(docs, 'ServiceMonitor');
    const podLabels = deployment.spec.template.metadata.labels;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(selects(deployment.spec.selector.matchLabels, podLabels));
    assert.ok(selects(service.spec.selector, podLabels), 'the Service selects the pods');
    assert.ok(selects(pdb.spec.selector.matchLabels, podLabels), 'the PDB covers the pods');
    assert.ok(
      selects(monitor.spec.selector.matchLabels, service.metadata.labels),
      'the ServiceMonitor finds the Service',
    );
    const container = deployment.spec.template.spec.containers[0];
    checkContainer(container, 'deployment.yaml', variables);
    assert.ok(container.startupProbe?.httpGet);
    assert.ok(
      container.ports.some((p: any) => p.name === service.spec.ports[0].targetPort),
      'the Service targets the container port by name',
    );
    assert.ok(monitor.spec.endpoints.every((e: any) => e.path === '/metrics' && e.port === service.spec.ports[0].name));
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    const drainMs = Number(container.env.find((e: any) => e.name === 'INDRNN_DRAIN_TIMEOUT_MS').value);
    assert.ok(
      deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 > drainMs + 5000,
      'the grace period covers the preStop pause and the drain',
    );
    const customMetrics = hpa.spec.metrics.filter((m: any) => m.type === 'Pods').map((m: any) => m.pods.metric.name);
    assert.deepEqual(customMetrics.sort(), ['indrnn_pending_requests', 'indrnn_stream_active']);
    const adapter = String(byKind(docs, 'ConfigMap')[0].data['config.yaml']);
    for (const name of customMetrics) assert.ok(adapter.includes(`^${name}$`), `the adapter serves ${name}`);
    const kustomization = byKind(docs, 'Kustomization')[0];
    const files = new Set(docs.map((d) => d.file));
    for (const r of kustomization.resources) assert.ok(files.has(r), r);
    assert.equal(kustomization.resources.length, files.size - 1);
  });
});

describe('deploy/kserve', () => {
  const docs = manifests('kserve');

  it('a ServingRuntime speaking v2 and an InferenceService for the shipped model on it', () => {
    const [runtime] = byKind(docs, 'ServingRuntime');
    const [isvc] = byKind(docs, 'InferenceService');
    assert.equal(runtime.apiVersion, 'serving.kserve.io/v1alpha1');
    assert.deepEqual(runtime.spec.protocolVersions, ['v2']);
    const container = runtime.spec.containers[0];
    assert.equal(container.name, 'kserve-container', 'KServe finds its container by this name');
    checkContainer(container, 'servingruntime.yaml', serveVariables());
    assert.equal(container.env.find((e: any) => e.name === 'INDRNN_MODELS').value, '/mnt/models');
    assert.ok(container.readinessProbe.httpGet.path.startsWith('/v2/health/'));
    assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
    const model = isvc.spec.predictor.model;
    assert.equal(model.runtime, runtime.metadata.name);
    assert.equal(model.protocolVersion, 'v2');
    assert.ok(runtime.spec.supportedModelFormats.some((f: any) => f.name === model.modelFormat.name));
    assert.match(model.storageUri, /ntu-synth\.onnx$/);
    const shipped = readdirSync(join(DEPLOY, '..', 'models'));
    assert.ok(shipped.includes('ntu-synth.onnx'), 'the model it names is the one in models/');
    assert.equal(isvc.metadata.name, 'ntu-synth', 'the service is named like the model (its metadata name)');
  });
});

describe('dashboard and alerts', () => {
  let dir: string;
  let srv: RunningServer;
  let exposed: Set<string>;
  before(async () => {
    dir = modelDir({ 'rows.onnx': { kind: 'raw', name: 'rows', inputSize: 6 } });
    srv = await startLoopbackServer(dir);
    await fetch(`${srv.url}/v1/models/rows/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ frames: rawFrames(2, 6, 1) }),
    });
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    exposed = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
  });
  after(async () => {
    await srv.shutdown('test end');
    rmSync(dir, { recursive: true, force: true });
  });

  /** The metric names a PromQL expression reads. */
  const metricsIn = (expr: string) =>
    [...expr.matchAll(/\b((?:indrnn|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]);

  it('the Grafana dashboard is valid JSON and queries only metrics the server exposes', () => {
    const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'indrnn-dashboard.json'), 'utf8'));
    assert.equal(typeof dash.uid, 'string');
    const exprs: string[] = dash.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    exprs.push(...dash.templating.list.filter((v: any) => v.definition).map((v: any) => v.definition));
    assert.ok(exprs.length > 15);
    const ids = dash.panels.map((p: any) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const expr of exprs) {
      const names = metricsIn(expr);
      assert.ok(names.length > 0, expr);
      for (const name of names) assert.ok(exposed.has(name), `${name} (in ${expr}) is not exposed`);
    }
  });

  it('the alert rules query only exposed metrics and cover error rate, p99, saturation and readiness', () => {
    const [{ doc }] = manifests('prometheus').filter((d) => d.file === 'alerts.yaml');
    const rules = doc.groups.flatMap((g: any) => g.rules);
    const alerts = rules.map((r: any) => r.alert);
    for (const a of ['IndrnnHighErrorRate', 'IndrnnHighLatencyP99', 'IndrnnSaturated', 'IndrnnNotReady'])
      assert.ok(alerts.includes(a), a);
    for (const r of rules) {
      assert.ok(r.labels?.severity && r.annotations?.summary, r.alert);
      for (const name of metricsIn(r.expr)) assert.ok(exposed.has(name), `${r.alert}: ${name} is not exposed`);
    }
  });

  const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
  it('promtool check rules and promtool test rules pass', {
    skip: PROMTOOL ? false : 'promtool is not installed (Debian package prometheus)',
  }, () => {
    const cwd = join(DEPLOY, 'prometheus');
    for (const args of [
      ['check', 'rules', 'alerts.yaml'],
      ['test', 'rules', 'alerts.test.yaml'],
    ]) {
      const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
    }
  });
});
