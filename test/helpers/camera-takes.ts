// Takes as the camera page records them (src/ui/camera/recorder.ts: MediaPipe's 33 world landmarks, layout
// mediapipe33, one take per action), made from the T-pose of mediapipe-pose.ts: both arms up and down, a
// squat, a lean from side to side (none changes under the trainer's left-right flip), and standing still
// ("nothing": no label, the background of a stream). Seeded.
import { Rng } from '../../src/util/rng.js';
import { MEDIAPIPE_NAMES, tPose } from './mediapipe-pose.js';

export const TAKE_ACTIONS = ['arms up', 'squat', 'lean'] as const;

/** One take: `action` an index of TAKE_ACTIONS, or null for standing still; T frames at `fps`. */
export function cameraTake(action: number | null, T: number, seed: number, fps = 30): Record<string, unknown> {
  const rng = new Rng(seed);
  const base = tPose();
  const rate = rng.uniform(0.8, 1.25);
  const sway = rng.uniform(-0.05, 0.05);
  const frames = Array.from({ length: T }, (_, t) => {
    const phase = (2 * Math.PI * rate * t) / fps; // one movement a second
    const up = 0.5 * (1 - Math.cos(phase));
    return MEDIAPIPE_NAMES.map((n) => {
      let [x, y, z] = base[n];
      const arm = /wrist|pinky|index|thumb|elbow/.test(n);
      // y points down: raising the arms lowers their y.
      if (arm && action === 0) y -= up * (n.includes('elbow') ? 0.3 : 0.6);
      if (action === 1 && !/knee|ankle|heel|foot/.test(n)) y += 0.3 * up;
      if (action === 2 && !/knee|ankle|heel|foot|hip/.test(n)) x += 0.25 * Math.sin(phase) * Math.max(0, -y);
      x += sway;
      return [x + rng.uniform(-0.01, 0.01), y + rng.uniform(-0.01, 0.01), z + rng.uniform(-0.01, 0.01)];
    });
  });
  const label = action === null ? {} : { label: TAKE_ACTIONS[action] };
  return { id: `take-${action ?? 'none'}-${seed}`, layout: 'mediapipe33', fps, ...label, frames };
}

/** `perAction` takes of each action (and of standing still when `nothing`), each of about `seconds` s. */
export function cameraTakes(perAction: number, seconds: number, nothing = false, seed = 1): Record<string, unknown>[] {
  const rng = new Rng(seed);
  const actions: (number | null)[] = [...TAKE_ACTIONS.keys(), ...(nothing ? [null] : [])];
  return actions.flatMap((a) =>
    Array.from({ length: perAction }, () =>
      cameraTake(a, Math.round(30 * seconds * rng.uniform(0.8, 1.2)), rng.int(1e9)),
    ),
  );
}
