import onnxProto from "onnx-proto";
import type { MatmulProblem, YangModel } from "../workloads/problem.js";

const { onnx } = onnxProto;

/** ONNX element types used here (TensorProto.DataType). */
const FLOAT = 1;
const INT64 = 7;

type Attribute = { readonly name: string } & ({ readonly int: number } | { readonly ints: readonly number[] });

/**
 * A small builder of ONNX graphs from standard operators (opset 13), encoded with onnx-proto.
 * Values are named `v<k>` in order; initializers hold the weights' constants.
 */
export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private serial = 0;

  constructor(readonly opset = 13) {}

  input(name: string, shape: readonly number[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(value: string, name: string, shape: readonly number[]): void {
    this.op("Identity", [value], [], name);
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 constant (an initializer). */
  floats(values: readonly number[], shape: readonly number[] = []): string {
    const name = this.fresh();
    this.initializers.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims: [...shape], floatData: [...values] }));
    return name;
  }

  /** An int64 constant, for shape and axes operands. */
  ints(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.fresh();
    this.initializers.push(onnx.TensorProto.create({ name, dataType: INT64, dims: [...shape], int64Data: [...values] }));
    return name;
  }

  op(type: string, inputs: readonly string[], attributes: readonly Attribute[] = [], outputName?: string): string {
    const output = outputName ?? this.fresh();
    const attribute = attributes.map((a) =>
      "int" in a
        ? onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.int })
        : onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...a.ints] }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: [...inputs], output: [output], name: `${type}_${this.nodes.length}`, attribute }));
    return output;
  }

  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: "unfold-bench",
      opsetImport: [{ domain: "", version: this.opset }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private fresh(): string {
    return `v${this.serial++}`;
  }
}

function valueInfo(name: string, shape: readonly number[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
}

/** An ONNX model of C = A B. */
export function matmulModel(problem: MatmulProblem): Uint8Array {
  const g = new OnnxGraphBuilder();
  const C = g.op("MatMul", [g.input("A", [problem.m, problem.k]), g.input("B", [problem.k, problem.n])]);
  g.output(C, "C", [problem.m, problem.n]);
  return g.encode("matmul");
}

/**
 * The Yang forward as an ONNX graph of standard operators, the layers unrolled: Ws = Wa^T Wa;
 * per layer Y + a (Softmax(Y Ws Y^T - 1/2 q^T) Y - Y) with q = ReduceSum(Y Ws * Y, -1), then
 * Relu(Y - f (Y Wf + Y - b)).
 */
export function forwardModel(model: YangModel): Uint8Array {
  const { batch, tokens, dim } = model;
  const g = new OnnxGraphBuilder();
  const state = g.input("state", [batch, tokens, dim]);
  const Wa = g.input("Wa", [1, dim, dim]);
  const Wf = g.input("Wf", [dim, dim]);
  const b = g.input("b", [dim]);
  const Ws = g.op("Reshape", [g.op("MatMul", [g.op("Transpose", [Wa], [{ name: "perm", ints: [0, 2, 1] }]), Wa]), g.ints([dim, dim])]);
  const half = g.floats([0.5]);
  const attentionStep = g.floats([model.attentionStepSize]);
  const feedForwardStep = g.floats([model.feedForwardStepSize]);
  const lastAxis = g.ints([-1]);
  const rowShape = g.ints([batch, 1, tokens]);
  let Y = state;
  for (let layer = 0; layer < model.layers; layer++) {
    const YW = g.op("MatMul", [Y, Ws]);
    const logits = g.op("MatMul", [YW, g.op("Transpose", [Y], [{ name: "perm", ints: [0, 2, 1] }])]);
    const q = g.op("Reshape", [g.op("ReduceSum", [g.op("Mul", [YW, Y]), lastAxis], [{ name: "keepdims", int: 1 }]), rowShape]);
    const weights = g.op("Softmax", [g.op("Sub", [logits, g.op("Mul", [q, half])])], [{ name: "axis", int: -1 }]);
    const mixed = g.op("MatMul", [weights, Y]);
    Y = g.op("Add", [Y, g.op("Mul", [g.op("Sub", [mixed, Y]), attentionStep])]);
    const gradient = g.op("Sub", [g.op("Add", [g.op("MatMul", [Y, Wf]), Y]), b]);
    Y = g.op("Relu", [g.op("Sub", [Y, g.op("Mul", [gradient, feedForwardStep])])]);
  }
  g.output(Y, "out", [batch, tokens, dim]);
  return g.encode("yang_forward");
}
