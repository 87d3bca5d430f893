// Which body comes first. A multi-person sensor (Kinect) fills its body slots in its own order, which says
// nothing about the people: in PKU-MMD the person on the camera's left is body 0 in about half the clips.
// Preprocessing takes body 0 as the reference (origin, rotation, scale), so that choice changes every
// number the model sees. The rule 'camera-x' puts the bodies in a canonical order instead:
//
//   at the first frame in which any body is present, the present bodies ordered by the x of their root
//   (the camera's horizontal axis), smallest first, then the absent ones in the sensor's order; that order
//   is then kept for the rest of the sequence (or live stream).
//
// Why this rule: it is decided from one frame, so frame t depends only on frames <= t and a stream fed
// frame by frame gives the numbers of the whole sequence; it is held, so a later crossing of the two
// people (or the sensor swapping its slots) never swaps the reference mid-sequence; the x order of two
// people side by side survives a turn of the camera by less than 90 degrees about the vertical (PKU-MMD's
// left and right cameras are 45 degrees off the middle one), where depth order would not; in PKU-MMD the
// two roots are at least 0.3 m apart in x at the first frame of every clip. A person who enters alone
// comes first: the reference is then the first person seen, as with the sensor's order.
// 'sensor' keeps the sensor's slots (the order before this rule existed; configs without the field).
import { bodyAbsent } from './body-presence.js';

export type BodyOrderRule = 'sensor' | 'camera-x';

export const BODY_ORDER_RULES: readonly BodyOrderRule[] = ['sensor', 'camera-x'];

/** Per sequence: slot b of the model input reads source body `source[b]`; `decided` once fixed. */
export interface BodyOrderState {
  readonly rule: BodyOrderRule;
  readonly source: Int32Array;
  decided: boolean;
}

/** A fresh order for a sequence of `bodies` bodies; 'sensor' is decided (the identity) from the start. */
export function createBodyOrder(bodies: number, rule: BodyOrderRule = 'sensor'): BodyOrderState {
  const source = new Int32Array(bodies);
  for (let b = 0; b < bodies; b++) source[b] = b;
  return { rule, source, decided: rule === 'sensor' || bodies < 2 };
}

/**
 * Decides the order from the raw frame [B, J, 3] at frame[at ..] when no order is decided yet and a body
 * is present in it; `root` are the joints averaged to give a body's root. No allocation.
 */
export function decideBodyOrder(
  order: BodyOrderState,
  frame: Float32Array,
  at: number,
  joints: number,
  root: readonly number[],
): void {
  if (order.decided) return;
  const B = order.source.length;
  const n = joints * 3;
  let present = 0;
  // Insertion sort of the present bodies by root x (stable), then the absent ones in sensor order.
  for (let b = 0; b < B; b++) {
    if (bodyAbsent(frame, b, joints, at)) continue;
    const x = rootX(frame, at + b * n, root);
    let k = present;
    while (k > 0 && rootX(frame, at + order.source[k - 1] * n, root) > x) {
      order.source[k] = order.source[k - 1];
      k--;
    }
    order.source[k] = b;
    present++;
  }
  if (present === 0) return;
  let k = present;
  for (let b = 0; b < B; b++) if (bodyAbsent(frame, b, joints, at)) order.source[k++] = b;
  order.decided = true;
}

function rootX(frame: Float32Array, base: number, root: readonly number[]): number {
  let x = 0;
  for (const j of root) x += frame[base + j * 3];
  return x / root.length;
}
