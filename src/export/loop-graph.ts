// Writes a folded network (one, or an ensemble of several: fold.ts `ensemble`) as one ONNX graph (the
// contract in docs/design.md):
//   inputs  x [T, B, D], h0 [L, B, H]      outputs logits [T, B, K], hT [L, B, H]
// Each IndRNN recurrence is an ONNX Loop whose body does only the elementwise step
// h_t = Relu(z_t + u ⊙ h_{t-1}); the projection of all time steps is one MatMul outside the loop.
import type p from 'onnx-proto';
import { DataType, floatTensor, graph, int64Tensor, node, serializeModel, valueInfo } from '../util/onnx-graph.js';
import type { DenseWeights, FoldedNetwork } from './fold.js';

export const EXPORT_OPSET = 17;

type NodeProto = p.onnx.INodeProto;
type TensorProto = p.onnx.ITensorProto;

/** Accumulates the nodes and initialisers of the main graph. */
class GraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  constant(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  int64(name: string, dims: readonly number[], values: readonly number[]): string {
    this.initializers.push(int64Tensor(name, dims, values));
    return name;
  }

  op(type: string, inputs: string[], output: string, attrs: Parameters<typeof node>[3] = {}): string {
    this.nodes.push(node(type, inputs, [output], attrs));
    return output;
  }

  /** [T, B, I] -> [T, B, O]: one MatMul over all steps, then the bias. */
  dense(input: string, w: DenseWeights, name: string): string {
    const weight = this.constant(`${name}.weight`, [w.inSize, w.outSize], w.weight);
    const bias = this.constant(`${name}.bias`, [w.outSize], w.bias);
    return this.op('Add', [this.op('MatMul', [input, weight], `${name}.matmul`), bias], `${name}.out`);
  }

  /** Each of `inputs` [T, B, K] through LogSoftmax over the classes, then their mean: an ensemble's logits. */
  logSoftmaxMean(inputs: string[], name: string): string {
    const logProbs = inputs.map((v, i) =>
      this.op('LogSoftmax', [v], `${name}.log_softmax${i + 1}`, { axis: { int: 2 } }),
    );
    const scale = this.constant(`${name}.scale`, [], Float32Array.of(1 / inputs.length));
    return this.op('Mul', [this.op('Sum', logProbs, `${name}.sum`), scale], `${name}.mean`);
  }
}

/**
 * The Loop body for layer l: (i, cond, h_prev) -> (cond, h, h as scan output). z and u come from the
 * outer scope; every name carries the layer prefix because ONNX names are unique across scopes. h is named
 * twice among the outputs (carried and scanned) rather than copied by an Identity: each body node is a kernel
 * launch per step, four instead of five (BENCHMARKS.md, "Loop body").
 */
function recurrenceBody(l: number, z: string, u: string): p.onnx.IGraphProto {
  const n = (s: string) => `rec${l}.${s}`;
  return graph({
    name: n('body'),
    inputs: [
      valueInfo(n('i'), 'int64', []),
      valueInfo(n('cond_in'), 'bool', []),
      valueInfo(n('h_prev'), 'float', ['B', 'H']),
    ],
    outputs: [
      valueInfo(n('cond_in'), 'bool', []), // cond passes straight through: every body node costs per iteration
      valueInfo(n('h'), 'float', ['B', 'H']),
      valueInfo(n('h'), 'float', ['B', 'H']),
    ],
    nodes: [
      node('Gather', [z, n('i')], [n('z_t')], { axis: { int: 0 } }),
      node('Mul', [u, n('h_prev')], [n('uh')]),
      node('Add', [n('z_t'), n('uh')], [n('a')]),
      node('Relu', [n('a')], [n('h')]),
    ],
  });
}

/** Layer l's recurrence over z [T, B, H]: every step's h [T, B, H] and the last one's [B, H]. */
function addRecurrence(g: GraphWriter, l: number, z: string, u: Float32Array): { hAll: string; hFinal: string } {
  const uName = g.constant(`rec${l}.u`, [u.length], u);
  const h0 = g.op('Gather', ['h0', g.int64(`rec${l}.index`, [], [l])], `rec${l}.h0`, { axis: { int: 0 } });
  const hFinal = `rec${l}.hT`;
  const hAll = `rec${l}.h_all`;
  g.nodes.push(
    node(
      'Loop',
      ['T', 'loop_cond', h0],
      [hFinal, hAll],
      { body: { graph: recurrenceBody(l, z, uName) } },
      `rec${l}.loop`,
    ),
  );
  return { hAll, hFinal };
}

/** Builds the model; `metadata` becomes metadata_props. */
export function buildOnnxModel(net: FoldedNetwork, metadata: Record<string, string>, docString = ''): Uint8Array {
  const { config } = net;
  const g = new GraphWriter();
  // Trip count T = shape(x)[0] and the loop condition, shared by every Loop.
  g.op('Gather', [g.op('Shape', ['x'], 'x_shape'), g.int64('zero', [], [0])], 'T', { axis: { int: 0 } });
  g.nodes.push(
    node('Constant', [], ['loop_cond'], {
      value: { tensor: { name: 'loop_cond_value', dims: [], dataType: DataType.bool, int32Data: [1] } },
    }),
  );

  const names = ['x']; // value id -> tensor name
  const finals: string[] = []; // state -> its final h
  for (const op of net.ops) {
    const inputs = op.inputs.map((v) => names[v]);
    if (op.kind === 'recurrent') {
      const r = addRecurrence(g, op.state, inputs[0], op.u);
      finals[op.state] = r.hFinal;
      names[op.output] = r.hAll;
    } else if (op.kind === 'dense') names[op.output] = g.dense(inputs[0], op.weights, op.name);
    else if (op.kind === 'logSoftmaxMean') names[op.output] = g.logSoftmaxMean(inputs, op.name);
    else if (op.kind === 'add') names[op.output] = g.op('Add', inputs, op.name);
    else names[op.output] = g.op('Concat', inputs, op.name, { axis: { int: 2 } }); // channels
  }
  const logits = names[net.output];
  g.op('Identity', [logits], 'logits');
  const axes = g.int64('axis0', [1], [0]);
  const stacked = finals.map((f, l) => g.op('Unsqueeze', [f, axes], `rec${l}.hT_1`));
  g.op('Concat', stacked, 'hT', { axis: { int: 0 } });

  const L = finals.length;
  const H = config.hiddenSize;
  const model = graph({
    name: `indrnn_${config.arch}`,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [valueInfo('x', 'float', ['T', 'B', config.inputSize]), valueInfo('h0', 'float', [L, 'B', H])],
    outputs: [valueInfo('logits', 'float', ['T', 'B', config.numOutputs]), valueInfo('hT', 'float', [L, 'B', H])],
  });
  return serializeModel({ graph: model, opset: EXPORT_OPSET, metadata, docString });
}
