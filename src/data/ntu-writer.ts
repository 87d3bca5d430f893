// Writes NtuSkeleton records as `.skeleton` text, in the layout ntu-reader.ts documents. Real files use
// CRLF and 7 significant digits; so do we by default, so that any NTU tool reads our files.
import type { NtuBody, NtuSkeleton } from './ntu-reader.js';
import { JOINT_STRIDE } from './ntu-reader.js';

export interface WriterOptions {
  /** Line ending; default '\r\n' as in the released dataset. */
  eol?: string;
}

/**
 * 7 significant digits without trailing zeros, as .NET's "G7" wrote the dataset: fixed-point when the
 * decimal exponent is in -5 < e < 7, else "7.257856E-05". Real files re-written this way are byte-identical.
 */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e7) return String(v);
  if (a >= 1e-4 && a < 9999999.5) return trimZeros(v.toPrecision(7)); // the common case, fixed-point
  const exp = v.toExponential(6); // d.ddddddde[+-]x
  const at = exp.indexOf('e');
  const e = Number(exp.slice(at + 1));
  if (e > -5 && e < 7) return trimZeros(v.toPrecision(7));
  const digits = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
  return `${trimZeros(exp.slice(0, at))}E${e < 0 ? '-' : '+'}${digits}`;
}

/** "0.2000000" -> "0.2", "3.000000" -> "3". */
function trimZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--; // '0'
  if (s.charCodeAt(end - 1) === 46) end--; // '.'
  return s.slice(0, end);
}
const num = formatValue;

function bodyLines(b: NtuBody, out: string[]): void {
  out.push(
    `${b.id} ${num(b.clippedEdges)} ${num(b.handLeftConfidence)} ${num(b.handLeftState)} ` +
      `${num(b.handRightConfidence)} ${num(b.handRightState)} ${num(b.isRestricted)} ${num(b.leanX)} ` +
      `${num(b.leanY)} ${num(b.trackingState)}`,
  );
  out.push(String(b.jointCount));
  const v = b.joints;
  for (let j = 0; j < b.jointCount; j++) {
    let line = '';
    for (let k = 0; k < JOINT_STRIDE; k++) line += `${num(v[j * JOINT_STRIDE + k])} `;
    out.push(line + b.jointTracking[j]);
  }
}

/** The full text of a `.skeleton` file, ending with a line ending. */
export function formatSkeleton(sk: NtuSkeleton, options: WriterOptions = {}): string {
  const out: string[] = [String(sk.frames.length)];
  for (const frame of sk.frames) {
    out.push(String(frame.bodies.length));
    for (const b of frame.bodies) {
      if (!/^\d+$/.test(b.id)) throw new TypeError(`${sk.source}: body id '${b.id}' must be a decimal integer string`);
      if (b.joints.length !== b.jointCount * JOINT_STRIDE) {
        throw new RangeError(
          `${sk.source}: body ${b.id} has ${b.joints.length} joint values, expected jointCount*${JOINT_STRIDE} = ` +
            `${b.jointCount * JOINT_STRIDE}`,
        );
      }
      bodyLines(b, out);
    }
  }
  const eol = options.eol ?? '\r\n';
  return out.join(eol) + eol;
}
