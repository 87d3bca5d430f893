// One person's body points (COCO names, image pixels, y down) written in any pose estimator's layout, as
// the estimator would give them: OpenPose's LShoulder, MediaPipe's 33 landmarks, Penn Action's head.
import { getLayout, type LayoutName } from '../../src/data/layouts.js';

export type Body = Record<string, [number, number]>;

/** A person about 250 px tall around x = 300. */
export const BODY: Body = {
  nose: [300, 100],
  left_eye: [306, 94],
  right_eye: [294, 94],
  left_ear: [312, 98],
  right_ear: [288, 98],
  left_shoulder: [330, 140],
  right_shoulder: [270, 142],
  left_elbow: [345, 185],
  right_elbow: [255, 186],
  left_wrist: [350, 225],
  right_wrist: [250, 229],
  left_hip: [320, 230],
  right_hip: [282, 231],
  left_knee: [322, 285],
  right_knee: [280, 284],
  left_ankle: [324, 335],
  right_ankle: [279, 338],
};

/** The body at frame t of a clip: walking to the right, every point swaying on its own. */
export function bodyAt(t: number): Body {
  return Object.fromEntries(
    Object.entries(BODY).map(([name, [x, y]], k) => [
      name,
      [x + 6 * t + 9 * Math.sin(0.4 * t + k), y + 4 * Math.cos(0.3 * t + 2 * k)] as [number, number],
    ]),
  );
}

function mean(body: Body, names: string[]): [number, number] {
  const ps = names.map((n) => body[n]);
  return [ps.reduce((a, p) => a + p[0], 0) / ps.length, ps.reduce((a, p) => a + p[1], 0) / ps.length];
}

/** The point a layout names `name` (joint j): COCO's, derived (head, neck, mid-hips) or, unused, anywhere. */
function pointOf(layout: LayoutName, name: string, j: number, body: Body): [number, number] {
  const coco =
    layout === 'openpose18' || layout === 'openpose25'
      ? name
          .replace(/^L(?=[A-Z])/, 'left_')
          .replace(/^R(?=[A-Z])/, 'right_')
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toLowerCase()
      : name;
  if (coco === 'head') return mean(body, ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear']);
  if (coco === 'neck') return mean(body, ['left_shoulder', 'right_shoulder']);
  if (coco === 'mid_hip') return mean(body, ['left_hip', 'right_hip']);
  return body[coco] ?? [1000 + j, 2000 + j]; // points penn13 does not use (MediaPipe's fingers, OpenPose's toes)
}

/** One frame of the body in `layout`: [J][2] pixels. */
export function frameIn(layout: LayoutName, body: Body = BODY): [number, number][] {
  return getLayout(layout).joints.map((name, j) => pointOf(layout, name, j, body));
}
