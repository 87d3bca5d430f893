// Joint layouts: the names and the tree (parent of each joint) of every skeleton format we accept, plus
// the anchor joints that preprocessing needs (root, torso top, left/right pairs for the facing direction).
// Joint indices are 0-based everywhere in the code; the NTU documentation counts from 1.
// Users' own layouts come from a layout file (layout-file.ts) and are plain data like these; caches and
// exported models carry the whole layout (layoutJson), so nothing downstream needs the built-in table.

/** The built-in layouts. Users' layouts have any other name. */
export type LayoutName = 'ntu25' | 'kinect20' | 'coco17' | 'mediapipe33' | 'openpose18' | 'openpose25' | 'penn13';

export interface Layout {
  readonly name: string;
  readonly description: string;
  /** 3: x, y, z; 2: x, y only (image keypoints), z is stored as 0. */
  readonly dims: 2 | 3;
  /** Joint names, in the order the joints are stored. J = joints.length. */
  readonly joints: readonly string[];
  /** parents[j] = index of the parent joint of j, -1 for the root. */
  readonly parents: readonly number[];
  /** Joints averaged to give the body's root (centre of the pelvis). */
  readonly root: readonly number[];
  /** Joints averaged to give the top of the torso (between the shoulders). */
  readonly torsoTop: readonly number[];
  /** [left, right] joint pairs; the sum of (left - right) points to the body's left. */
  readonly leftRight: readonly (readonly [number, number])[];
  /**
   * Every [left, right] pair of mirror-image joints (shoulders, elbows, wrists, hips, knees, ankles...):
   * the joints a left-right flip swaps (augment.ts). Absent: the layout is not flipped.
   */
  readonly mirror?: readonly (readonly [number, number])[];
}

const NTU25_JOINTS = [
  'SpineBase',
  'SpineMid',
  'Neck',
  'Head',
  'ShoulderLeft',
  'ElbowLeft',
  'WristLeft',
  'HandLeft',
  'ShoulderRight',
  'ElbowRight',
  'WristRight',
  'HandRight',
  'HipLeft',
  'KneeLeft',
  'AnkleLeft',
  'FootLeft',
  'HipRight',
  'KneeRight',
  'AnkleRight',
  'FootRight',
  'SpineShoulder',
  'HandTipLeft',
  'ThumbLeft',
  'HandTipRight',
  'ThumbRight',
];
// Kinect v2 parents, 1-based as documented by NTU (joint 1 is the root).
const NTU25_PARENTS_1 = [0, 1, 21, 3, 21, 5, 6, 7, 21, 9, 10, 11, 1, 13, 14, 15, 1, 17, 18, 19, 2, 8, 8, 12, 12];

// Kinect SDK v1 (Kinect for Windows / Xbox 360), 20 joints, 0-based, as in N-UCLA, MSR DailyActivity,
// Florence 3D and G3D.
const KINECT20_JOINTS = [
  'HipCenter',
  'Spine',
  'ShoulderCenter',
  'Head',
  'ShoulderLeft',
  'ElbowLeft',
  'WristLeft',
  'HandLeft',
  'ShoulderRight',
  'ElbowRight',
  'WristRight',
  'HandRight',
  'HipLeft',
  'KneeLeft',
  'AnkleLeft',
  'FootLeft',
  'HipRight',
  'KneeRight',
  'AnkleRight',
  'FootRight',
];
const KINECT20_PARENTS = [-1, 0, 1, 2, 2, 4, 5, 6, 2, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18];

const COCO17_JOINTS = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
];
const COCO17_PARENTS = [-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14];

const MEDIAPIPE33_JOINTS = [
  'nose',
  'left_eye_inner',
  'left_eye',
  'left_eye_outer',
  'right_eye_inner',
  'right_eye',
  'right_eye_outer',
  'left_ear',
  'right_ear',
  'mouth_left',
  'mouth_right',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_pinky',
  'right_pinky',
  'left_index',
  'right_index',
  'left_thumb',
  'right_thumb',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
  'left_heel',
  'right_heel',
  'left_foot_index',
  'right_foot_index',
];
const MEDIAPIPE33_PARENTS = [
  -1, 0, 1, 2, 0, 4, 5, 3, 6, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 15, 16, 15, 16, 11, 12, 23, 24, 25, 26, 27, 28, 27,
  28,
];

const OPENPOSE18_JOINTS = [
  'Nose',
  'Neck',
  'RShoulder',
  'RElbow',
  'RWrist',
  'LShoulder',
  'LElbow',
  'LWrist',
  'RHip',
  'RKnee',
  'RAnkle',
  'LHip',
  'LKnee',
  'LAnkle',
  'REye',
  'LEye',
  'REar',
  'LEar',
];
const OPENPOSE18_PARENTS = [1, -1, 1, 2, 3, 1, 5, 6, 1, 8, 9, 1, 11, 12, 0, 0, 14, 15];

const OPENPOSE25_JOINTS = [
  'Nose',
  'Neck',
  'RShoulder',
  'RElbow',
  'RWrist',
  'LShoulder',
  'LElbow',
  'LWrist',
  'MidHip',
  'RHip',
  'RKnee',
  'RAnkle',
  'LHip',
  'LKnee',
  'LAnkle',
  'REye',
  'LEye',
  'REar',
  'LEar',
  'LBigToe',
  'LSmallToe',
  'LHeel',
  'RBigToe',
  'RSmallToe',
  'RHeel',
];
const OPENPOSE25_PARENTS = [1, 8, 1, 2, 3, 1, 5, 6, -1, 8, 9, 10, 8, 12, 13, 0, 0, 15, 16, 14, 14, 14, 11, 11, 11];

// Penn Action's 13 joints (../shared/data/real/README.md): the COCO body keypoints without the face, the
// head in place of the nose. Image pixels, x to the right, y DOWN, as annotated and as pose estimators
// give them; the tree hangs from the head, as coco17's from the nose.
const PENN13_JOINTS = ['head', ...COCO17_JOINTS.slice(5)];
const PENN13_PARENTS = [-1, 0, 0, 1, 2, 3, 4, 1, 2, 7, 8, 9, 10];

export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = {
  ntu25: {
    name: 'ntu25',
    description: 'NTU RGB+D / Kinect v2, 25 joints, metres in camera space (y up)',
    dims: 3,
    joints: NTU25_JOINTS,
    parents: NTU25_PARENTS_1.map((p) => p - 1),
    root: [0],
    torsoTop: [20],
    leftRight: [
      [4, 8],
      [12, 16],
    ],
  },
  kinect20: {
    name: 'kinect20',
    description: 'Kinect SDK v1, 20 joints (N-UCLA, MSR DailyActivity, Florence 3D, G3D), metres (y up)',
    dims: 3,
    joints: KINECT20_JOINTS,
    parents: KINECT20_PARENTS,
    root: [0],
    torsoTop: [2],
    leftRight: [
      [4, 8],
      [12, 16],
    ],
  },
  coco17: {
    name: 'coco17',
    description: 'COCO keypoints, 17 joints',
    dims: 3,
    joints: COCO17_JOINTS,
    parents: COCO17_PARENTS,
    root: [11, 12],
    torsoTop: [5, 6],
    leftRight: [
      [5, 6],
      [11, 12],
    ],
  },
  mediapipe33: {
    name: 'mediapipe33',
    description: 'MediaPipe Pose landmarks, 33 joints',
    dims: 3,
    joints: MEDIAPIPE33_JOINTS,
    parents: MEDIAPIPE33_PARENTS,
    root: [23, 24],
    torsoTop: [11, 12],
    leftRight: [
      [11, 12],
      [23, 24],
    ],
  },
  openpose18: {
    name: 'openpose18',
    description: 'OpenPose COCO-18 body keypoints',
    dims: 3,
    joints: OPENPOSE18_JOINTS,
    parents: OPENPOSE18_PARENTS,
    root: [8, 11],
    torsoTop: [1],
    leftRight: [
      [5, 2],
      [11, 8],
    ],
  },
  openpose25: {
    name: 'openpose25',
    description: 'OpenPose BODY_25 keypoints',
    dims: 3,
    joints: OPENPOSE25_JOINTS,
    parents: OPENPOSE25_PARENTS,
    root: [8],
    torsoTop: [1],
    leftRight: [
      [5, 2],
      [12, 9],
    ],
  },
  penn13: {
    name: 'penn13',
    description: 'Penn Action, 13 joints: 2D image keypoints in pixels (y down), the COCO body without the face',
    dims: 2,
    joints: PENN13_JOINTS,
    parents: PENN13_PARENTS,
    root: [7, 8],
    torsoTop: [1, 2],
    leftRight: [
      [1, 2],
      [7, 8],
    ],
    mirror: [
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
      [9, 10],
      [11, 12],
    ],
  },
};

export const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];

/** True for the name of a built-in layout. */
export function isBuiltinLayout(name: string): name is LayoutName {
  return Object.hasOwn(LAYOUTS, name);
}

/** Looks a built-in layout up by name; an unknown name is a RangeError that lists the known ones. */
export function getLayout(name: string): Layout {
  if (typeof name !== 'string') throw new TypeError(`layout name must be a string, got ${typeof name}`);
  const layout = (LAYOUTS as Record<string, Layout | undefined>)[name];
  if (!layout) throw new RangeError(`unknown joint layout '${name}' (known: ${LAYOUT_NAMES.join(', ')})`);
  return layout;
}
