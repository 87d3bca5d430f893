// MediaPipe Pose (the npm package @mediapipe/pose: BlazePose's landmark models and their WebAssembly
// runtime) loaded from this server, never from a CDN: its script and every file it asks for come from
// MEDIAPIPE_BASE (src/serve/routes/camera.ts serves them from node_modules). Loaded on first use only, so
// the page pays for it (about 16 MB with the full model) only when the camera is chosen.

/** Where the server serves the package's files; the version in the path makes them safe to cache. */
export const MEDIAPIPE_VERSION = '0.5.1675469404';
export const MEDIAPIPE_BASE = `/mediapipe/pose/${MEDIAPIPE_VERSION}/`;

/** One landmark of a result: image landmarks are x, y in [0, 1] of the image; world landmarks are metres. */
export interface Landmark {
  x: number;
  y: number;
  z: number;
  visibility?: number;
}

export interface PoseResults {
  /** The 33 landmarks in the image (absent when nobody was found). */
  poseLandmarks?: Landmark[];
  /** The same 33 in metres, origin at the mid-hips, MediaPipe's axes (y down). */
  poseWorldLandmarks?: Landmark[];
}

export interface PoseOptions {
  /** 0 lite (2.8 MB), 1 full (6.4 MB), 2 heavy (27.7 MB). */
  modelComplexity?: 0 | 1 | 2;
  smoothLandmarks?: boolean;
  enableSegmentation?: boolean;
  minDetectionConfidence?: number;
  minTrackingConfidence?: number;
}

/** The part of the package's Pose class the page uses (its index.d.ts). */
export interface PoseSolution {
  setOptions(o: PoseOptions): void;
  onResults(listener: (r: PoseResults) => void): void;
  initialize(): Promise<void>;
  send(input: { image: HTMLVideoElement | HTMLCanvasElement | HTMLImageElement }): Promise<void>;
  close(): Promise<void>;
}

type PoseConstructor = new (config: { locateFile: (file: string) => string }) => PoseSolution;

let loading: Promise<PoseConstructor> | null = null;

/** Adds the package's script (a classic script that defines window.Pose) once. */
function loadScript(): Promise<PoseConstructor> {
  loading ??= new Promise<PoseConstructor>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = `${MEDIAPIPE_BASE}pose.js`;
    s.crossOrigin = 'anonymous';
    s.onload = () => {
      const Pose = (window as unknown as { Pose?: PoseConstructor }).Pose;
      if (Pose) resolve(Pose);
      else reject(new Error('pose.js loaded but defined no Pose'));
    };
    s.onerror = () => {
      loading = null;
      reject(new Error(`could not load ${s.src} (is @mediapipe/pose installed on the server?)`));
    };
    document.head.append(s);
  });
  return loading;
}

/** A ready Pose solution whose files all come from this server. */
export async function createPose(options: PoseOptions): Promise<PoseSolution> {
  const Pose = await loadScript();
  const pose = new Pose({ locateFile: (file) => `${MEDIAPIPE_BASE}${file}` });
  pose.setOptions(options);
  await pose.initialize();
  return pose;
}
