// Small, typed helpers over the ONNX protobuf classes (onnx-proto): value infos, nodes, attributes,
// initialisers and model serialisation. Used by the trainer's matrix kernels (nn/backend.ts) and by the
// exporter (export/loop-graph.ts), so it sits below both.
import p from 'onnx-proto';

export const { onnx } = p;
export type Dim = number | string; // a fixed size, or the name of a symbolic (dynamic) dimension

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;
export const DataType = { float: FLOAT, int64: INT64, bool: BOOL } as const;
export type ElemType = keyof typeof DataType;

/** A graph input or output: name, element type and shape (omit dims for a value of unknown rank). */
export function valueInfo(name: string, elem: ElemType, dims?: readonly Dim[]): p.onnx.IValueInfoProto {
  const shape = dims
    ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
    : undefined;
  return { name, type: { tensorType: { elemType: DataType[elem], shape } } };
}

type AttrValue =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { string: string }
  | { graph: p.onnx.IGraphProto }
  | { tensor: p.onnx.ITensorProto };

const A = onnx.AttributeProto.AttributeType;
function attribute(name: string, v: AttrValue): p.onnx.IAttributeProto {
  if ('int' in v) return { name, type: A.INT, i: v.int };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('ints' in v) return { name, type: A.INTS, ints: [...v.ints] };
  if ('string' in v) return { name, type: A.STRING, s: new TextEncoder().encode(v.string) };
  if ('graph' in v) return { name, type: A.GRAPH, g: v.graph };
  return { name, type: A.TENSOR, t: v.tensor };
}

/** One operator node. Empty-string inputs stand for omitted optional inputs. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: Record<string, AttrValue> = {},
  name?: string,
): p.onnx.INodeProto {
  return {
    opType,
    input: [...inputs],
    output: [...outputs],
    name: name ?? `${opType}_${outputs[0]}`,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A float32 tensor's values (floatTensor's inverse): its raw little-endian bytes copied, or float_data. */
export function floatValues(t: p.onnx.ITensorProto): Float32Array {
  const raw = t.rawData;
  if (raw && raw.length > 0) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Float32Array.from(t.floatData ?? []);
}

/** A float32 initialiser / constant tensor stored as little-endian raw bytes. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): p.onnx.ITensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected)
    throw new RangeError(`${name} has ${data.length} values, expected ${expected} for [${dims}]`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims: [...dims], dataType: FLOAT, rawData: bytes };
}

/** An int64 constant tensor (shapes, axes, loop bounds). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): p.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: INT64, int64Data: values.map((v) => v) };
}

export interface GraphSpec {
  name: string;
  nodes: p.onnx.INodeProto[];
  inputs: p.onnx.IValueInfoProto[];
  outputs: p.onnx.IValueInfoProto[];
  initializers?: p.onnx.ITensorProto[];
}

export function graph(spec: GraphSpec): p.onnx.IGraphProto {
  return {
    name: spec.name,
    node: spec.nodes,
    input: spec.inputs,
    output: spec.outputs,
    initializer: spec.initializers ?? [],
  };
}

export interface ModelSpec {
  graph: p.onnx.IGraphProto;
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  metadata?: Record<string, string>;
  docString?: string;
}

/** Serialises a model (IR version 8) to protobuf bytes. */
export function serializeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    producerName: spec.producerName ?? 'indrnn',
    producerVersion: spec.producerVersion ?? '0.1.0',
    docString: spec.docString ?? '',
    graph: spec.graph,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Parses protobuf bytes back into a model object (for validation and tests). */
export function parseModel(bytes: Uint8Array): p.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
