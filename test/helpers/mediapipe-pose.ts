// Constructed MediaPipe Pose bodies (the 33 world landmarks, MediaPipe's axes: metres, x to the image's
// right, y down, z away from the camera, origin at the mid-hips) with every landmark at a known place.
import { Rng } from '../../src/util/rng.js';

type V = [number, number, number];

/**
 * A person facing the camera, arms straight out to the sides (a T): their left side is the image's right
 * (+x). Each landmark is named so that tests can read its place.
 */
export function tPose(): Record<string, V> {
  const p: Record<string, V> = {};
  for (const [s, x] of [
    ['left', 1],
    ['right', -1],
  ] as const) {
    p[`${s}_eye_inner`] = [0.02 * x, -0.72, -0.09];
    p[`${s}_eye`] = [0.035 * x, -0.72, -0.08];
    p[`${s}_eye_outer`] = [0.05 * x, -0.72, -0.07];
    p[`${s}_ear`] = [0.075 * x, -0.7, 0];
    p[`mouth_${s}`] = [0.025 * x, -0.64, -0.09];
    p[`${s}_shoulder`] = [0.18 * x, -0.5, 0];
    p[`${s}_elbow`] = [0.45 * x, -0.5, 0];
    p[`${s}_wrist`] = [0.7 * x, -0.5, 0];
    p[`${s}_pinky`] = [0.79 * x, -0.47, 0];
    p[`${s}_index`] = [0.79 * x, -0.53, 0];
    p[`${s}_thumb`] = [0.75 * x, -0.55, -0.03];
    p[`${s}_hip`] = [0.1 * x, 0, 0];
    p[`${s}_knee`] = [0.1 * x, 0.45, 0];
    p[`${s}_ankle`] = [0.1 * x, 0.85, 0];
    p[`${s}_heel`] = [0.1 * x, 0.9, 0.05];
    p[`${s}_foot_index`] = [0.1 * x, 0.9, -0.15];
  }
  p.nose = [0, -0.68, -0.1];
  return p;
}

export const MEDIAPIPE_NAMES = [
  ...['nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye', 'right_eye_outer'],
  ...['left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder', 'right_shoulder', 'left_elbow'],
  ...['right_elbow', 'left_wrist', 'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index'],
  ...['left_thumb', 'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle'],
  ...['right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index'],
];

/** A named pose -> Float32Array [33 * 3] in landmark order. */
export function landmarks(pose: Record<string, V>): Float32Array {
  const out = new Float32Array(33 * 3);
  MEDIAPIPE_NAMES.forEach((n, i) => {
    out.set(pose[n], i * 3);
  });
  return out;
}

/**
 * T frames of one moving MediaPipe body as a request sends them ([T][33][3]): the T-pose with the arms
 * waving and the body swaying, plus a little seeded noise.
 */
export function mediapipeFrames(T: number, seed: number): number[][][] {
  const rng = new Rng(seed);
  const base = tPose();
  return Array.from({ length: T }, (_, t) =>
    MEDIAPIPE_NAMES.map((n) => {
      const [x, y, z] = base[n];
      const arm = /wrist|pinky|index|thumb|elbow/.test(n)
        ? 0.25 * Math.sin(0.3 * t) * (n.includes('elbow') ? 0.4 : 1)
        : 0;
      return [
        x + 0.05 * Math.sin(0.1 * t) + rng.uniform(-0.01, 0.01),
        y - arm + rng.uniform(-0.01, 0.01),
        z + 0.1 * Math.cos(0.2 * t) * (x > 0 ? 1 : -1) + rng.uniform(-0.01, 0.01),
      ];
    }),
  );
}
