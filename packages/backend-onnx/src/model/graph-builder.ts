import type { DType } from "@unfold/core";
import type { Dim } from "./dim.js";
import { type AttrValue, type ElemType, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto, attribute, boolTensor, floatTensor, int64Tensor, onnx, valueInfo } from "./proto.js";

/** The default opset: LayerNormalization needs 17, ReduceMax with axes as an input 18. */
export const DEFAULT_OPSET = 18;

/** What the model says about itself, beyond its graph. */
export interface ModelInfo {
  readonly graphName: string;
  readonly opset: number;
  readonly producerVersion?: string;
  readonly metadata: ReadonlyMap<string, string>;
}

/**
 * Accumulates one ONNX graph: nodes in order, initializers, declared inputs and outputs. Value
 * names it makes up never collide with names reserved by the caller (feeds and outputs), nor with
 * those of the graphs it is nested in or that nest in it (see subgraph).
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly taken: SharedNames;
  private serial = 0;
  /** int64 constants by value, so repeated shapes and axes share one initializer. */
  private readonly intConstants = new Map<string, string>();

  constructor(
    readonly opset: number,
    reserved: Iterable<string>,
  ) {
    this.taken = reserved instanceof SharedNames ? reserved : new SharedNames(reserved);
  }

  /**
   * A builder for a subgraph of this graph (a Loop's body). The two share one set of names: ONNX
   * forbids a subgraph to redefine a name of its enclosing scope, which the body may read.
   */
  subgraph(): GraphBuilder {
    return new GraphBuilder(this.opset, this.taken);
  }

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name = `${stem}_${this.serial++}`;
    while (this.taken.has(name)) name = `${stem}_${this.serial++}`;
    this.taken.add(name);
    return name;
  }

  input(name: string, dtype: ElemType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output, copied out of `value` by an Identity so two outputs never share one value. */
  output(value: string, name: string, dtype: ElemType, shape: readonly Dim[]): void {
    this.op("Identity", [value], {}, name);
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  initializer(name: string, dtype: DType, shape: readonly number[], values: ArrayLike<number>): string {
    this.initializers.push(floatTensor(name, dtype, shape, values));
    return name;
  }

  /** A float constant of any shape. */
  floats(dtype: DType, shape: readonly number[], values: ArrayLike<number>, stem = "const"): string {
    return this.initializer(this.fresh(stem), dtype, shape, values);
  }

  /** An int64 vector (shapes, axes, starts), shared between uses. */
  ints(values: readonly number[]): string {
    const key = values.join(",");
    let name = this.intConstants.get(key);
    if (!name) {
      name = this.fresh("ints");
      this.initializers.push(int64Tensor(name, values));
      this.intConstants.set(key, name);
    }
    return name;
  }

  /** An int64 or bool scalar (shape []): a Loop's trip count, its first condition, a counter's step. */
  scalar(type: "int64" | "bool", value: number | boolean, stem = "const"): string {
    const name = this.fresh(stem);
    this.initializers.push(type === "bool" ? boolTensor(name, [Boolean(value)], []) : int64Tensor(name, [Number(value)], []));
    return name;
  }

  op(type: string, inputs: readonly string[], attributes: Readonly<Record<string, AttrValue>> = {}, output?: string): string {
    const out = output ?? this.fresh(type.toLowerCase());
    this.node(type, inputs, [out], attributes);
    return out;
  }

  /** A node with several outputs (a Loop's final values), named by the caller. */
  node(type: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, AttrValue>> = {}): void {
    const attribute_ = Object.entries(attributes).map(([k, v]) => attribute(k, v));
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: [...inputs], output: [...outputs], name: `${type}_${this.nodes.length}`, attribute: attribute_ }));
  }

  /**
   * The initializers some node or graph output reads. A lowering may make a constant and then
   * not use it (max(x, 0) becomes Relu, leaving its 0 behind); onnxruntime would drop it with a
   * warning on every session, so it is left out here.
   */
  private usedInitializers(): TensorProto[] {
    // A subgraph reads the values of its enclosing graph by name: those reads count too.
    const read = new Set<string>(this.nodes.flatMap(namesRead));
    for (const o of this.outputs) if (o.name) read.add(o.name);
    return this.initializers.filter((t) => t.name !== undefined && t.name !== null && read.has(t.name));
  }

  /** The graph as a GraphProto, for a subgraph attribute (a Loop's body) or a model. */
  toGraph(name: string): GraphProto {
    return onnx.GraphProto.create({ name, node: this.nodes, initializer: this.usedInitializers(), input: this.inputs, output: this.outputs });
  }

  encode(info: ModelInfo): Uint8Array {
    const model = onnx.ModelProto.create({
      // IR version 8 goes with opsets 17 and 18; later opsets need the IR versions that came with them.
      irVersion: info.opset >= 21 ? 10 : info.opset >= 19 ? 9 : 8,
      producerName: "unfold",
      producerVersion: info.producerVersion ?? "",
      opsetImport: [{ domain: "", version: info.opset }],
      metadataProps: [...info.metadata].map(([key, value]) => ({ key, value })),
      graph: this.toGraph(info.graphName),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** The name set a graph and its subgraphs share (a marker type, so a subgraph's builder shares rather than copies it). */
class SharedNames extends Set<string> {}

/** The value names a node reads: its inputs, and every name read inside its subgraphs. */
function namesRead(node: NodeProto): string[] {
  const names = [...(node.input ?? [])];
  for (const a of node.attribute ?? []) for (const n of a.g?.node ?? []) names.push(...namesRead(n as NodeProto));
  return names;
}
