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

/**
 * The Yang energy and its gradient in the state, in closed form (onnxruntime-web has no
 * autodiff): with Z = Y Wa^T, G_ij = exp(-(1/2 (||z_i||^2 + ||z_j||^2) - z_i . z_j)) and
 * r = G 1, E_att = -1/2 sum G + batch n / 2 and dE_att/dY = (r * Y - G Y) Ws, Ws = Wa^T Wa
 * (sum_j G_ij Ws (y_i - y_j), G being symmetric); E_ff = 1/2 sum((Y Wf) * Y) + 1/2 ||Y - b||^2 and,
 * Wf symmetric, dE_ff/dY = Y Wf + Y - b. Outputs `energy` (a scalar) and `grad`.
 */
export function energyGradientModel(model: YangModel): Uint8Array {
  const { batch, tokens, dim } = model;
  const g = new OnnxGraphBuilder();
  const Y = g.input("state", [batch, tokens, dim]);
  const Wa = g.op("Reshape", [g.input("Wa", [1, dim, dim]), g.ints([dim, dim])]);
  const Wf = g.input("Wf", [dim, dim]);
  const b = g.input("b", [dim]);
  const WaT = g.op("Transpose", [Wa], [{ name: "perm", ints: [1, 0] }]);
  const Ws = g.op("MatMul", [WaT, Wa]);
  const half = g.floats([0.5]);
  const lastAxis = g.ints([-1]);
  const Z = g.op("MatMul", [Y, WaT]);
  const squared = g.op("ReduceSum", [g.op("Mul", [Z, Z]), lastAxis], [{ name: "keepdims", int: 1 }]);
  const pairSum = g.op("Add", [squared, g.op("Transpose", [squared], [{ name: "perm", ints: [0, 2, 1] }])]);
  const distances = g.op("Sub", [g.op("Mul", [pairSum, half]), g.op("MatMul", [Z, g.op("Transpose", [Z], [{ name: "perm", ints: [0, 2, 1] }])])]);
  const G = g.op("Exp", [g.op("Neg", [distances])]);
  const all = [{ name: "keepdims", int: 0 }];
  const attention = g.op("Add", [g.op("Mul", [g.op("ReduceSum", [G], all), g.floats([-0.5])]), g.floats([(batch * tokens) / 2])]);
  const r = g.op("ReduceSum", [G, lastAxis], [{ name: "keepdims", int: 1 }]);
  const attentionGrad = g.op("MatMul", [g.op("Sub", [g.op("Mul", [r, Y]), g.op("MatMul", [G, Y])]), Ws]);
  const YWf = g.op("MatMul", [Y, Wf]);
  const centered = g.op("Sub", [Y, b]);
  const feedForward = g.op("Mul", [g.op("Add", [g.op("ReduceSum", [g.op("Mul", [YWf, Y])], all), g.op("ReduceSum", [g.op("Mul", [centered, centered])], all)]), half]);
  // Full reductions (no axes, keepdims 0) and scalar constants: the energy is a scalar already.
  g.output(g.op("Add", [attention, feedForward]), "energy", []);
  g.output(g.op("Add", [attentionGrad, g.op("Add", [YWf, centered])]), "grad", [batch, tokens, dim]);
  return g.encode("yang_energy_gradient");
}
