// NTU RGB+D `.skeleton` reader. The parser is a line-by-line state machine: it is fed one line at a time
// (from a string or from any line stream), keeps no copy of the text, and reports the file and line of
// the first thing that is wrong.
//
// File layout:   T                                  frame count
//   per frame:   B                                  body count (0 allowed)
//   per body:    bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence handRightState
//                isRestricted leanX leanY trackingState
//                J                                  joint count (25 for Kinect v2)
//   per joint:   x y z depthX depthY colorX colorY orientationW orientationX orientationY orientationZ trackingState
import { readFileSync } from 'node:fs';

/** Per-joint values kept in NtuBody.joints, in file order (trackingState is kept apart). */
export const JOINT_FIELDS = [
  'x',
  'y',
  'z',
  'depthX',
  'depthY',
  'colorX',
  'colorY',
  'orientationW',
  'orientationX',
  'orientationY',
  'orientationZ',
] as const;
/** Values per joint in NtuBody.joints. */
export const JOINT_STRIDE = JOINT_FIELDS.length; // 11
const JOINT_LINE_VALUES = JOINT_STRIDE + 1; // + trackingState
const BODY_LINE_VALUES = 10;

export interface NtuBody {
  /** Kinect body id: a 64-bit integer, kept as its decimal string (it does not fit a double). */
  id: string;
  clippedEdges: number;
  handLeftConfidence: number;
  handLeftState: number;
  handRightConfidence: number;
  handRightState: number;
  isRestricted: number;
  leanX: number;
  leanY: number;
  trackingState: number;
  /** Joint count J of this body. */
  jointCount: number;
  /** [J, 11] per JOINT_FIELDS: x y z (metres, camera space), depth and colour pixels, orientation quaternion. */
  joints: Float64Array;
  /** [J] Kinect joint tracking state: 0 not tracked, 1 inferred, 2 tracked. */
  jointTracking: Uint8Array;
}

export interface NtuFrame {
  bodies: NtuBody[];
}

export interface NtuSkeleton {
  /** Where the data came from (file path), used in messages. */
  source: string;
  frames: NtuFrame[];
}

export interface ReaderOptions {
  /** Joint count every body must have; null accepts any count. Default 25 (Kinect v2). */
  expectedJoints?: number | null;
}

/** A malformed or truncated file: the message starts with "FILE line N:". */
export class SkeletonFormatError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source} line ${line}: ${detail}`);
    this.name = 'SkeletonFormatError';
  }
}

type State = 'frameCount' | 'bodyCount' | 'bodyInfo' | 'jointCount' | 'joint' | 'done';

/** Splits a line at blanks into [start, end) spans; returns the number of tokens (spans holds 2 per token). */
function tokenize(line: string, spans: number[]): number {
  let n = 0;
  let i = 0;
  const len = line.length;
  while (i < len) {
    while (i < len && isBlank(line.charCodeAt(i))) i++;
    if (i >= len) break;
    const start = i;
    while (i < len && !isBlank(line.charCodeAt(i))) i++;
    spans[2 * n] = start;
    spans[2 * n + 1] = i;
    n++;
  }
  return n;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

export class NtuSkeletonParser {
  private state: State = 'frameCount';
  private lineNo = 0;
  private frameTotal = 0;
  private bodiesLeft = 0;
  private jointsLeft = 0;
  private frame: NtuFrame | null = null;
  private body: NtuBody | null = null;
  private readonly frames: NtuFrame[] = [];
  private readonly spans: number[] = [];
  private readonly expectedJoints: number | null;

  constructor(
    readonly source: string,
    options: ReaderOptions = {},
  ) {
    this.expectedJoints = options.expectedJoints === undefined ? 25 : options.expectedJoints;
  }

  /** Feeds the next line (without or with its line ending). Blank lines are skipped. */
  pushLine(line: string): void {
    this.lineNo++;
    const n = tokenize(line, this.spans);
    if (n === 0) return;
    switch (this.state) {
      case 'frameCount':
        this.frameTotal = this.count(line, n, 'frame count');
        this.state = this.frameTotal > 0 ? 'bodyCount' : 'done';
        return;
      case 'bodyCount':
        this.startFrame(this.count(line, n, 'body count'));
        return;
      case 'bodyInfo':
        this.startBody(line, n);
        return;
      case 'jointCount':
        this.startJoints(this.count(line, n, 'joint count'));
        return;
      case 'joint':
        this.readJoint(line, n);
        return;
      case 'done':
        this.fail(`unexpected data after the last of ${this.frameTotal} frames: '${clip(line)}'`);
    }
  }

  /** Ends the input; a file that stops inside a frame is an error naming the frame. */
  finish(): NtuSkeleton {
    if (this.state === 'frameCount') {
      throw new SkeletonFormatError(this.source, this.lineNo, 'empty file (expected a frame count)');
    }
    if (this.state !== 'done') {
      const where = `frame ${this.frames.length + (this.frame ? 1 : 0)} of ${this.frameTotal}`;
      this.fail(`file ends inside ${where}, while expecting a ${this.expecting()} (truncated file?)`);
    }
    return { source: this.source, frames: this.frames };
  }

  private expecting(): string {
    const what: Record<State, string> = {
      frameCount: 'frame count',
      bodyCount: 'body count',
      bodyInfo: 'body line',
      jointCount: 'joint count',
      joint: 'joint line',
      done: 'nothing',
    };
    return what[this.state];
  }

  private startFrame(bodies: number): void {
    this.frame = { bodies: [] };
    this.bodiesLeft = bodies;
    if (bodies === 0) this.endFrame();
    else this.state = 'bodyInfo';
  }

  private endFrame(): void {
    this.frames.push(this.frame!);
    this.frame = null;
    this.state = this.frames.length === this.frameTotal ? 'done' : 'bodyCount';
  }

  private startBody(line: string, n: number): void {
    if (n !== BODY_LINE_VALUES) this.fail(`expected ${BODY_LINE_VALUES} values on a body line, got ${n}`);
    const s = this.spans;
    const id = line.slice(s[0], s[1]);
    if (!/^\d+$/.test(id)) this.fail(`body id '${id}' is not an unsigned integer`);
    const v = (k: number): number => this.number(line, k, BODY_FIELD_NAMES[k]);
    this.body = {
      id,
      clippedEdges: v(1),
      handLeftConfidence: v(2),
      handLeftState: v(3),
      handRightConfidence: v(4),
      handRightState: v(5),
      isRestricted: v(6),
      leanX: v(7),
      leanY: v(8),
      trackingState: v(9),
      jointCount: 0,
      joints: EMPTY_F64,
      jointTracking: EMPTY_U8,
    };
    this.state = 'jointCount';
  }

  private startJoints(joints: number): void {
    if (this.expectedJoints !== null && joints !== this.expectedJoints) {
      this.fail(`expected ${this.expectedJoints} joints, got ${joints}`);
    }
    const b = this.body!;
    b.jointCount = joints;
    b.joints = new Float64Array(joints * JOINT_STRIDE);
    b.jointTracking = new Uint8Array(joints);
    this.jointsLeft = joints;
    if (joints === 0) this.endBody();
    else this.state = 'joint';
  }

  private readJoint(line: string, n: number): void {
    if (n !== JOINT_LINE_VALUES) {
      this.fail(`expected ${JOINT_LINE_VALUES} values on a joint line, got ${n}`);
    }
    const b = this.body!;
    const j = b.jointCount - this.jointsLeft;
    const base = j * JOINT_STRIDE;
    for (let k = 0; k < JOINT_STRIDE; k++) b.joints[base + k] = this.number(line, k, JOINT_FIELDS[k]);
    const ts = this.number(line, JOINT_STRIDE, 'trackingState');
    if (ts !== 0 && ts !== 1 && ts !== 2) this.fail(`joint trackingState must be 0, 1 or 2, got ${ts}`);
    b.jointTracking[j] = ts;
    if (--this.jointsLeft === 0) this.endBody();
  }

  private endBody(): void {
    this.frame!.bodies.push(this.body!);
    this.body = null;
    if (--this.bodiesLeft === 0) this.endFrame();
    else this.state = 'bodyInfo';
  }

  /** A line holding one non-negative integer. */
  private count(line: string, n: number, what: string): number {
    if (n !== 1) this.fail(`expected a ${what} (one integer), got ${n} values: '${clip(line)}'`);
    const v = this.number(line, 0, what);
    if (!Number.isInteger(v) || v < 0) this.fail(`${what} must be a non-negative integer, got '${clip(line)}'`);
    return v;
  }

  /** Token k of the current line as a finite number. */
  private number(line: string, k: number, what: string): number {
    const text = line.slice(this.spans[2 * k], this.spans[2 * k + 1]);
    const v = Number(text);
    if (!Number.isFinite(v)) this.fail(`${what} is not a number: '${clip(text)}'`);
    return v;
  }

  private fail(detail: string): never {
    throw new SkeletonFormatError(this.source, this.lineNo, detail);
  }
}

const BODY_FIELD_NAMES = [
  'bodyID',
  'clippedEdges',
  'handLeftConfidence',
  'handLeftState',
  'handRightConfidence',
  'handRightState',
  'isRestricted',
  'leanX',
  'leanY',
  'trackingState',
];
const EMPTY_F64 = new Float64Array(0);
const EMPTY_U8 = new Uint8Array(0);

function clip(s: string): string {
  const t = s.trim();
  return t.length > 40 ? `${t.slice(0, 40)}...` : t;
}

/** Parses the text of a `.skeleton` file (LF or CRLF), scanning it line by line. */
export function parseSkeleton(text: string, source: string, options?: ReaderOptions): NtuSkeleton {
  if (typeof text !== 'string') throw new TypeError(`${source}: skeleton text must be a string, got ${typeof text}`);
  const parser = new NtuSkeletonParser(source, options);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    parser.pushLine(text.slice(start, end));
    start = end + 1;
  }
  return parser.finish();
}

/** Reads and parses one `.skeleton` file. */
export function readSkeletonFile(path: string, options?: ReaderOptions): NtuSkeleton {
  return parseSkeleton(readFileSync(path, 'latin1'), path, options);
}

/** Summary counts of a parsed file: frames, bodies per frame (histogram), distinct body ids. */
export function skeletonStats(sk: NtuSkeleton): {
  frames: number;
  bodiesPerFrame: Record<string, number>;
  maxBodies: number;
  bodyIds: string[];
  joints: number[];
  framesWithoutBody: number;
} {
  const hist: Record<string, number> = {};
  const ids = new Set<string>();
  const joints = new Set<number>();
  let maxBodies = 0;
  for (const f of sk.frames) {
    const b = f.bodies.length;
    hist[b] = (hist[b] ?? 0) + 1;
    maxBodies = Math.max(maxBodies, b);
    for (const body of f.bodies) {
      ids.add(body.id);
      joints.add(body.jointCount);
    }
  }
  return {
    frames: sk.frames.length,
    bodiesPerFrame: hist,
    maxBodies,
    bodyIds: [...ids],
    joints: [...joints].sort((a, b) => a - b),
    framesWithoutBody: hist[0] ?? 0,
  };
}
