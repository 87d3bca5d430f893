// Joint layouts: the names and the tree (parent of each joint) of every skeleton format we accept, plus
// the anchor joints that preprocessing needs (root, torso top, left/right pairs for the facing direction).
// Joint indices are 0-based everywhere in the code; the NTU documentation counts from 1.

export type LayoutName = 'ntu25' | 'coco17' | 'mediapipe33' | 'openpose18' | 'openpose25';

export interface Layout {
  readonly name: LayoutName;
  readonly description: string;
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

export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = {
  ntu25: {
    name: 'ntu25',
    description: 'NTU RGB+D / Kinect v2, 25 joints, metres in camera space (y up)',
    joints: NTU25_JOINTS,
    parents: NTU25_PARENTS_1.map((p) => p - 1),
    root: [0],
    torsoTop: [20],
    leftRight: [
      [4, 8],
      [12, 16],
    ],
  },
  coco17: {
    name: 'coco17',
    description: 'COCO keypoints, 17 joints',
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
    joints: OPENPOSE25_JOINTS,
    parents: OPENPOSE25_PARENTS,
    root: [8],
    torsoTop: [1],
    leftRight: [
      [5, 2],
      [12, 9],
    ],
  },
};

export const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];

/** Looks a layout up by name; an unknown name is a RangeError that lists the known ones. */
export function getLayout(name: string): Layout {
  if (typeof name !== 'string') throw new TypeError(`layout name must be a string, got ${typeof name}`);
  const layout = (LAYOUTS as Record<string, Layout | undefined>)[name];
  if (!layout) throw new RangeError(`unknown joint layout '${name}' (known: ${LAYOUT_NAMES.join(', ')})`);
  return layout;
}

/**
 * Rejects data of another layout than the model's, instead of silently misreading it.
 * `where` names the data ("request body", "train.cache").
 */
export function assertSameLayout(expected: LayoutName, got: string, where: string): void {
  if (got === expected) return;
  const e = getLayout(expected);
  const hint = (LAYOUTS as Record<string, Layout | undefined>)[got]
    ? `${got} has ${getLayout(got).joints.length} joints, ${expected} has ${e.joints.length}`
    : `'${got}' is not a known layout`;
  throw new RangeError(
    `${where}: joint layout ${got} does not match the model's layout ${expected} (${hint}); ` +
      `convert the data to ${expected} or use a model trained on ${got}`,
  );
}

/** Checks a joint count against a layout: "17 joints per body, layout ntu25 has 25". */
export function assertJointCount(layout: Layout, joints: number, where: string): void {
  if (joints !== layout.joints.length) {
    throw new RangeError(
      `${where}: ${joints} joints per body, but layout ${layout.name} has ${layout.joints.length}` +
        ` (is the data in another layout? known: ${LAYOUT_NAMES.join(', ')})`,
    );
  }
}
