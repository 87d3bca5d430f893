// Camera poses -> frames of the chosen model's layout, with the one mapping module the server and the
// trainer use (src/data/mediapipe.ts): kinect20 and ntu25 models get Kinect joints, mediapipe33 models the
// landmarks as they are. Body 0 is the camera's person; the model's other bodies are absent (zeros).
import { isMediapipeTarget, MEDIAPIPE_JOINTS, MEDIAPIPE_RECIPES, mediapipeBodyTo } from '../../data/mediapipe.js';

/** Why a model cannot take camera poses, or null when it can. */
export function cameraUnsupported(m: { layout: string | null; bodies: number | null }): string | null {
  if (m.layout === null || m.bodies === null) return 'takes no joints';
  if (m.layout === 'mediapipe33' || isMediapipeTarget(m.layout)) return null;
  return `layout ${m.layout}: no conversion from MediaPipe (kinect20, ntu25 and mediapipe33 models can)`;
}

export class ModelFrames {
  readonly joints: number;
  /** Values per frame: bodies * joints * 3. */
  readonly frameSize: number;
  /** The current frame [bodies * joints * 3] (reused: copy what you keep). */
  readonly frame: Float32Array<ArrayBuffer>;

  constructor(
    readonly layout: string,
    readonly bodies: number,
  ) {
    const why = cameraUnsupported({ layout, bodies });
    if (why) throw new RangeError(why);
    this.joints = isMediapipeTarget(layout) ? MEDIAPIPE_RECIPES[layout].length : MEDIAPIPE_JOINTS;
    this.frameSize = bodies * this.joints * 3;
    this.frame = new Float32Array(this.frameSize);
  }

  /** The model's frame for one pose (landmarks [33 * 3], MediaPipe's axes), or for nobody in view (null). */
  fill(landmarks: Float32Array | null): Float32Array<ArrayBuffer> {
    this.frame.fill(0);
    if (!landmarks) return this.frame;
    if (isMediapipeTarget(this.layout)) mediapipeBodyTo(this.layout, landmarks, 0, this.frame, 0);
    else this.frame.set(landmarks.subarray(0, MEDIAPIPE_JOINTS * 3));
    return this.frame;
  }
}
