// A user's own data set as the tests write it: a 2D, one-body, 7-joint stick figure in a layout file of
// its own, and JSON Lines samples of three actions (wave the left hand, wave the right hand, squat) by a
// few subjects, seen by two cameras.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.js';

export const STICK_LAYOUT = {
  name: 'stick7',
  description: 'a 2D stick figure (test fixture)',
  dims: 2,
  joints: ['pelvis', 'chest', 'head', 'lhand', 'rhand', 'lfoot', 'rfoot'],
  parents: [null, 'pelvis', 'chest', 'chest', 'chest', 'pelvis', 'pelvis'],
  root: ['pelvis'],
  torsoTop: ['chest'],
  leftRight: [
    ['lhand', 'rhand'],
    ['lfoot', 'rfoot'],
  ],
};

export const STICK_ACTIONS = ['wave left', 'wave right', 'squat'] as const;

/** T frames [T][7][2] of one action in image-like coordinates (x right, y up), with noise. */
export function stickFrames(action: number, T: number, rng: Rng): number[][][] {
  const x0 = rng.uniform(0.3, 0.7);
  const s = rng.uniform(0.8, 1.2);
  return Array.from({ length: T }, (_, t) => {
    const phase = (2 * Math.PI * t) / 12;
    const dip = action === 2 ? 0.15 * (1 - Math.cos(phase)) : 0;
    const lift = (k: number) => (action === k ? 0.25 + 0.1 * Math.sin(phase) : 0);
    const pts = [
      [0, 0 - dip],
      [0, 0.3 - dip],
      [0, 0.45 - dip],
      [0.15, 0.1 + lift(0) - dip],
      [-0.15, 0.1 + lift(1) - dip],
      [0.1, -0.45],
      [-0.1, -0.45],
    ];
    return pts.map(([x, y]) => [x0 + s * x + rng.uniform(-0.01, 0.01), s * y + rng.uniform(-0.01, 0.01)]);
  });
}

/**
 * Writes stick7.layout.json and samples.jsonl into `dir`: `subjects` subjects x 2 cameras x 3 actions,
 * each sample with subject, camera and its own split (subject 1 tests). Returns the two paths.
 */
export function writeStickData(dir: string, subjects = 4, seed = 1): { layoutFile: string; jsonl: string } {
  const layoutFile = join(dir, 'stick7.layout.json');
  writeFileSync(layoutFile, JSON.stringify(STICK_LAYOUT, null, 2));
  const rng = new Rng(seed);
  const lines: string[] = ['# stick figures, one sample per line'];
  for (let subject = 1; subject <= subjects; subject++)
    for (let camera = 1; camera <= 2; camera++)
      STICK_ACTIONS.forEach((label, a) => {
        const frames = stickFrames(a, 20 + rng.int(12), rng);
        const split = subject === 1 ? 'test' : 'train';
        const id = `s${subject}c${camera}a${a}`;
        lines.push(JSON.stringify({ id, label, layout: 'stick7', fps: 15, subject, camera, split, frames }));
      });
  const jsonl = join(dir, 'samples.jsonl');
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  return { layoutFile, jsonl };
}
