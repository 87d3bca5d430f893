// Checking a model file's bytes against the contract (ONNX, the inputs and outputs, valid metadata) with
// errors that name the file and the problem. No onnxruntime here: the loader runs this in a thread of its
// own (src/onnx/model-file.ts), and the exporter checks what it wrote.
import { parseModel } from '../util/onnx-graph.js';
import { describeMetadataError, MODEL_FORMAT, type ModelMetadata, metadataSchema } from './metadata.js';

export class ModelFileError extends Error {
  constructor(
    readonly path: string,
    /** What is wrong, without the path (the message is `path: problem`). */
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

const REEXPORT = 're-export it with `indrnn export`';

interface TensorSpec {
  name: string;
  dims: (number | string)[];
}

function tensorSpecs(list: { name?: string | null; type?: any }[]): TensorSpec[] {
  return list.map((v) => ({
    name: v.name ?? '',
    dims: (v.type?.tensorType?.shape?.dim ?? []).map((d: any) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
  }));
}

/** Checks that bytes hold an indrnn model: ONNX, the contract's inputs/outputs, valid metadata. */
export function validateModelBytes(bytes: Uint8Array, path: string): ModelMetadata {
  let model: ReturnType<typeof parseModel>;
  try {
    model = parseModel(bytes);
  } catch (e) {
    throw new ModelFileError(path, `not an ONNX model (${(e as Error).message})`);
  }
  if (!model.graph) throw new ModelFileError(path, 'not an ONNX model (no graph)');
  const props = Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  if (props['indrnn.format'] !== MODEL_FORMAT) {
    const found = props['indrnn.format'] ? `format '${props['indrnn.format']}'` : 'no indrnn metadata';
    throw new ModelFileError(
      path,
      `${found}, expected '${MODEL_FORMAT}': not exported by this version of indrnn; ${REEXPORT}`,
    );
  }
  const parsed = metadataSchema.safeParse(props, { reportInput: true });
  if (!parsed.success)
    throw new ModelFileError(path, `bad metadata: ${describeMetadataError(parsed.error)}; ${REEXPORT}`);
  const meta = parsed.data;
  const inputs = tensorSpecs(model.graph.input ?? []);
  const outputs = tensorSpecs(model.graph.output ?? []);
  const expect = (list: TensorSpec[], kind: string, name: string, lastDim: number, firstDim?: number) => {
    const t = list.find((v) => v.name === name);
    if (!t) throw new ModelFileError(path, `no ${kind} '${name}' (exported by an older version?); ${REEXPORT}`);
    if (t.dims.length !== 3) throw new ModelFileError(path, `${kind} '${name}' has rank ${t.dims.length}, expected 3`);
    if (typeof t.dims[2] === 'number' && t.dims[2] !== lastDim) {
      throw new ModelFileError(path, `${kind} '${name}' has last dimension ${t.dims[2]}, metadata says ${lastDim}`);
    }
    if (firstDim !== undefined && typeof t.dims[0] === 'number' && t.dims[0] !== firstDim) {
      throw new ModelFileError(
        path,
        `${kind} '${name}' has first dimension ${t.dims[0]}, metadata says ${firstDim} layers`,
      );
    }
  };
  expect(inputs, 'input', 'x', meta.input_size);
  expect(inputs, 'input', 'h0', meta.hidden_size, meta.num_layers);
  expect(outputs, 'output', 'logits', meta.num_outputs);
  expect(outputs, 'output', 'hT', meta.hidden_size, meta.num_layers);
  const memberLayers = meta.ensemble?.members.reduce((n, m) => n + m.num_layers, 0);
  if (memberLayers !== undefined && memberLayers !== meta.num_layers)
    throw new ModelFileError(
      path,
      `its ensemble members have ${memberLayers} layers in all, num_layers says ${meta.num_layers}`,
    );
  if (meta.task_kind === 'classification' && meta.labels.length !== meta.num_outputs) {
    throw new ModelFileError(path, `has ${meta.num_outputs} outputs but ${meta.labels.length} labels`);
  }
  if (meta.background !== undefined && !meta.labels.some((l) => l.name === meta.background)) {
    throw new ModelFileError(path, `background label '${meta.background}' is not one of its labels`);
  }
  return meta;
}
