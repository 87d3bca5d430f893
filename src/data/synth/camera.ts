// Kinect v2 cameras: placement around the scene, world -> camera space, depth and colour projection,
// and joint orientation quaternions, as the `.skeleton` files record them.
//
// World: y up, floor y = 0, the scene centre at the origin. Camera space (Kinect): z away from the
// sensor, y up, x = y cross z (the sensor's left); metres.
import type { Rng } from '../../util/rng.js';
import { JOINTS } from './body.js';

/** NTU's three cameras: C001 at 0 degrees, C002 at -45, C003 at +45 (azimuth about the scene centre). */
export const CAMERA_AZIMUTH_DEG: Readonly<Record<number, number>> = { 1: 0, 2: -45, 3: 45 };

export interface Camera {
  position: Float64Array; // [3]
  /** Rows: camera x, y, z axes in world coordinates. [9] */
  axes: Float64Array;
}

/** Kinect v2 depth (512x424) and colour (1920x1080) intrinsics; the colour camera sits 5.2 cm to the side. */
const DEPTH = { fx: 365.5, fy: 365.5, cx: 257, cy: 210 };
const COLOR = { fx: 1063, fy: 1063, cx: 960, cy: 540, dx: 0.052 };

export interface SetupGeometry {
  /** Camera height and distance from the scene centre, metres. */
  height: number;
  distance: number;
  /** Per-camera azimuth jitter, radians. */
  jitter: [number, number, number];
}

/** Geometry of one recording setup (NTU changed camera height and distance between setups). */
export function makeSetup(rng: Rng): SetupGeometry {
  const j = (): number => rng.uniform(-3, 3) * (Math.PI / 180);
  return { height: rng.uniform(0.8, 1.6), distance: rng.uniform(2.6, 3.6), jitter: [j(), j(), j()] };
}

/** Azimuth of camera c (1-3) of a setup, radians. */
export function cameraAzimuth(setup: SetupGeometry, camera: number): number {
  const deg = CAMERA_AZIMUTH_DEG[camera];
  if (deg === undefined) throw new RangeError(`camera ${camera} is not one of NTU's cameras 1, 2, 3`);
  return (deg * Math.PI) / 180 + setup.jitter[camera - 1];
}

/** The camera looking at a point 1 m above the scene centre. */
export function makeCamera(setup: SetupGeometry, camera: number): Camera {
  const az = cameraAzimuth(setup, camera);
  const pos = new Float64Array([setup.distance * Math.sin(az), setup.height, setup.distance * Math.cos(az)]);
  const z = [-pos[0], 1 - pos[1], -pos[2]];
  const zn = Math.hypot(z[0], z[1], z[2]);
  for (let i = 0; i < 3; i++) z[i] /= zn;
  // y: world up made orthogonal to z; x = y cross z
  const y = [-z[1] * z[0], 1 - z[1] * z[1], -z[1] * z[2]];
  const yn = Math.hypot(y[0], y[1], y[2]);
  for (let i = 0; i < 3; i++) y[i] /= yn;
  const x = [y[1] * z[2] - y[2] * z[1], y[2] * z[0] - y[0] * z[2], y[0] * z[1] - y[1] * z[0]];
  return { position: pos, axes: new Float64Array([...x, ...y, ...z]) };
}

/** World points [n, 3] -> camera space [n, 3], in place. */
export function toCamera(cam: Camera, pts: Float64Array): Float64Array {
  const a = cam.axes;
  const p = cam.position;
  for (let i = 0; i < pts.length; i += 3) {
    const dx = pts[i] - p[0];
    const dy = pts[i + 1] - p[1];
    const dz = pts[i + 2] - p[2];
    pts[i] = a[0] * dx + a[1] * dy + a[2] * dz;
    pts[i + 1] = a[3] * dx + a[4] * dy + a[5] * dz;
    pts[i + 2] = a[6] * dx + a[7] * dy + a[8] * dz;
  }
  return pts;
}

/** Depth and colour pixel coordinates of a camera-space point, written to out[at..at+3]: depthX depthY colorX colorY. */
export function project(x: number, y: number, z: number, out: Float64Array, at = 0): Float64Array {
  const iz = 1 / Math.max(z, 0.1);
  out[at] = DEPTH.cx + DEPTH.fx * x * iz;
  out[at + 1] = DEPTH.cy - DEPTH.fy * y * iz;
  out[at + 2] = COLOR.cx + COLOR.fx * (x + COLOR.dx) * iz;
  out[at + 3] = COLOR.cy - COLOR.fy * y * iz;
  return out;
}

/** Kinect FrameEdges bits of a body whose joints leave the depth image: right 1, left 2, top 4, bottom 8. */
export function clippedEdges(cam: Float64Array): number {
  let bits = 0;
  const px = new Float64Array(4);
  for (let i = 0; i < cam.length; i += 3) {
    const [dx, dy] = project(cam[i], cam[i + 1], cam[i + 2], px);
    if (dx > 512) bits |= 1;
    if (dx < 0) bits |= 2;
    if (dy < 0) bits |= 4;
    if (dy > 424) bits |= 8;
  }
  return bits;
}

/** Leaf joints, whose orientation Kinect reports as 0 0 0 0. */
const LEAF = Uint8Array.from({ length: JOINTS }, (_, j) => ([3, 15, 19, 21, 22, 23, 24].includes(j) ? 1 : 0));

/**
 * Joint orientations [25, 4] (w x y z) in camera space: the rotation taking +y to the bone from the
 * parent (from SpineBase to SpineMid for the root), twisted by the body's facing `yaw` about the bone.
 */
export function orientations(
  cam: Float64Array,
  parents: readonly number[],
  yaw: number,
  out = new Float64Array(JOINTS * 4),
): Float64Array {
  const cy = Math.cos(yaw / 2);
  const sy = Math.sin(yaw / 2);
  for (let j = 0; j < JOINTS; j++) {
    if (LEAF[j]) {
      out.fill(0, j * 4, j * 4 + 4);
      continue;
    }
    const [a, b] = parents[j] < 0 ? [j, 1] : [parents[j], j];
    let dx = cam[b * 3] - cam[a * 3];
    let dy = cam[b * 3 + 1] - cam[a * 3 + 1];
    let dz = cam[b * 3 + 2] - cam[a * 3 + 2];
    const n = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1;
    dx /= n;
    dy /= n;
    dz /= n;
    // swing: shortest arc from (0,1,0) to d = (1 + dy, dz, 0, -dx), normalised; then the twist (cy, 0, sy, 0)
    let w = 1 + dy;
    let x = dz;
    let z = -dx;
    const qn = Math.sqrt(w * w + x * x + z * z) || 1;
    w /= qn;
    x /= qn;
    z /= qn;
    out[j * 4] = w * cy;
    out[j * 4 + 1] = x * cy - z * sy;
    out[j * 4 + 2] = w * sy;
    out[j * 4 + 3] = z * cy + x * sy;
  }
  return out;
}
