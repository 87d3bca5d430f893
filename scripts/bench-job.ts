// Training-job benchmark (issue 28's target: 3 actions x 5 takes of a few seconds, from base model to served
// model in at most 60 s on 2 cores): `indrnn serve --training` in a child process, one job posted per
// configuration (from scratch, and from each --base model), timed by the client from the POST to the model
// answering a predict, with the job's own seconds per stage.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJob, synthTakes, waitForJob } from './job-takes.js';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const { values } = scriptArgs({
  name: 'bench-job',
  about:
    'a training job from POST to served model: 3 actions x --takes takes (synthetic NTU), from scratch and from base models',
  runAs: 'node dist/scripts/bench-job.js',
  options: {
    takes: { type: 'string', default: '5', arg: 'N', help: 'takes per action' },
    epochs: { type: 'string', default: '40', arg: 'N', help: "the job's epochs" },
    base: {
      type: 'string',
      default: 'ntu-synth',
      arg: 'LIST',
      help: 'models/<name>.onnx to start from, comma-separated',
    },
    port: { type: 'string', default: '18095', arg: 'P', help: "the server's port" },
  },
  examples: ['node dist/scripts/bench-job.js --takes 5 --base ntu-synth,ntu-synth-stream'],
});
const port = Number(values.port);
const url = `http://127.0.0.1:${port}`;
const bases = values.base.split(',').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'indrnn-bench-job-'));
for (const b of bases) copyFileSync(join('models', `${b}.onnx`), join(dir, `${b}.onnx`));
const takes = synthTakes(Number(values.takes));
const frames = takes.reduce((n, t) => n + (t.frames as unknown[]).length, 0);
console.log(
  `${takes.length} takes, ${frames} frames (${(frames / takes.length / 30).toFixed(1)} s a take at 30 fps), ${values.epochs} epochs, ${availableParallelism()} cores`,
);
const child = await startServeProcess(
  [
    '--models',
    dir,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--training',
    '--device',
    'cpu',
    '--log-level',
    'warn',
  ],
  port,
);
try {
  for (const base of [undefined, ...bases]) {
    const name = `bench-${base ?? 'scratch'}`;
    const t0 = performance.now();
    const id = await postJob(url, { name, samples: takes, epochs: Number(values.epochs), ...(base ? { base } : {}) });
    const job = await waitForJob(url, id);
    if (job.state !== 'done') throw new Error(`${name}: ${job.state}: ${job.error}`);
    const probe = { frames: (takes[0].frames as unknown[]).slice(0, 60) };
    const answer = await fetch(`${url}/v1/models/${name}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(probe),
    });
    if (answer.status !== 200) throw new Error(`${name}: predict ${answer.status} ${await answer.text()}`);
    const seconds = (performance.now() - t0) / 1000;
    const m = job.metrics as { test?: number; seconds?: Record<string, number>; initialisedFrom?: string | null };
    console.log(
      `${(base ? `from ${base}` : 'from scratch').padEnd(20)} POST -> served model answering: ${seconds.toFixed(1)} s` +
        `  (stages ${JSON.stringify(m.seconds)}; held-out accuracy ${((m.test ?? 0) * 100).toFixed(0)} %; weights from ${m.initialisedFrom ?? 'none'})`,
    );
  }
} finally {
  await stopServeProcess(child);
  rmSync(dir, { recursive: true, force: true });
}
