// A recording as the page plays it: joints [T, B, J, 3] at `fps`, in a named layout, with an optional
// label per frame (the truth row of the timeline). Parsed in the browser by the repository's own readers
// (src/data): NTU .skeleton, the JSON Lines format of docs/data.md, PKU-MMD skeleton text.
import { selectBodies } from '../data/bodies.js';
import { ntuActionName } from '../data/ntu-actions.js';
import { parseNtuName } from '../data/ntu-name.js';
import { parseSkeleton } from '../data/ntu-reader.js';
import { PKU_FPS, parsePkuSkeleton } from '../data/pku-mmd-reader.js';
import { parseUserSample } from '../data/user-format.js';

export interface Recording {
  name: string;
  /** Layout name (ntu25, kinect20, coco17, ...). */
  layout: string;
  fps: number;
  T: number;
  bodies: number;
  joints: number;
  /** [T, bodies, joints, 3] */
  data: Float32Array;
  /** [T] the label of each frame (null: none), or null when the recording has no labels. */
  truth: (string | null)[] | null;
}

/** An NTU RGB+D .skeleton file: up to 2 bodies (the most active), 25 joints; truth from an SsssCcccPpppRrrrAaaa name. */
export function fromNtuSkeleton(text: string, name: string): Recording {
  const sk = parseSkeleton(text, name);
  const sel = selectBodies(sk, { bodies: 2, joints: 25, dropEmptyFrames: false });
  const parsed = parseNtuName(name);
  const action = parsed && parsed.action > 0 ? ntuActionName(parsed.action) : null;
  return {
    name,
    layout: 'ntu25',
    fps: 30,
    T: sel.T,
    bodies: 2,
    joints: 25,
    data: sel.data,
    truth: action ? new Array(sel.T).fill(action) : null,
  };
}

/** The first sample of a JSON Lines file (docs/data.md, "Bring your own data"); its frameLabels or label are the truth. */
export function fromJsonLines(text: string, name: string): Recording {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (at < 0) throw new RangeError(`${name}: no sample (every line is blank or a # comment)`);
  let json: unknown;
  try {
    json = JSON.parse(lines[at]);
  } catch (e) {
    throw new SyntaxError(`${name} line ${at + 1}: not valid JSON (${(e as Error).message})`);
  }
  const s = parseUserSample(json, `${name} line ${at + 1}`);
  const truth = s.frameLabels ?? (s.label ? new Array(s.T).fill(s.label) : null);
  return {
    name: s.id === `${name} line ${at + 1}` ? name : s.id,
    layout: s.layout.name,
    fps: s.fps,
    T: s.T,
    bodies: s.bodies,
    joints: s.joints,
    data: s.data,
    truth,
  };
}

/** A PKU-MMD skeleton file (one line of 2 x 25 x 3 numbers per frame, 30 frames/s). */
export function fromPkuText(text: string, name: string): Recording {
  const { T, data } = parsePkuSkeleton(text, name);
  return { name, layout: 'ntu25', fps: PKU_FPS, T, bodies: 2, joints: 25, data, truth: null };
}

/** A dropped file, by its name: .skeleton, .jsonl / .json, .txt (PKU-MMD). */
export function parseRecording(text: string, name: string): Recording {
  const lower = name.toLowerCase();
  if (lower.endsWith('.skeleton')) return fromNtuSkeleton(text, name);
  if (lower.endsWith('.jsonl') || lower.endsWith('.json')) return fromJsonLines(text, name);
  if (lower.endsWith('.txt')) return fromPkuText(text, name);
  throw new RangeError(`${name}: not a recording this page reads (.skeleton, .jsonl, .json or PKU-MMD .txt)`);
}
