// NTU sample names `SsssCcccPpppRrrrAaaa`: setup, camera, performer (subject), replication, action.

export interface NtuSampleName {
  setup: number;
  camera: number;
  performer: number;
  replication: number;
  action: number;
}

const NAME_RE = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$/;

/** Strips directories and the `.skeleton` (or any) extension: "a/b/S001...A001.skeleton" -> "S001...A001". */
export function sampleId(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
}

/** Parses the metadata in a file name, or returns null when the name is not an NTU sample name. */
export function parseNtuName(path: string): NtuSampleName | null {
  const m = NAME_RE.exec(sampleId(path));
  if (!m) return null;
  const [setup, camera, performer, replication, action] = m.slice(1).map(Number);
  return { setup, camera, performer, replication, action };
}

/** Formats metadata as an NTU sample name (no extension). Each field must be an integer in 0..999. */
export function formatNtuName(n: NtuSampleName): string {
  const f = (tag: string, v: number): string => {
    if (!Number.isInteger(v)) throw new TypeError(`NTU name field ${tag} must be an integer, got ${v}`);
    if (v < 0 || v > 999) throw new RangeError(`NTU name field ${tag} = ${v} is outside 0..999`);
    return tag + String(v).padStart(3, '0');
  };
  return f('S', n.setup) + f('C', n.camera) + f('P', n.performer) + f('R', n.replication) + f('A', n.action);
}
