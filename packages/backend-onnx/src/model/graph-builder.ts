import type { DType } from "@unfold/core";
import type { Dim } from "./dim.js";
import { type AttrValue, type NodeProto, type TensorProto, type ValueInfoProto, attribute, floatTensor, int64Tensor, onnx, valueInfo } from "./proto.js";

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
 * names it makes up never collide with names reserved by the caller (feeds and outputs).
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly taken: Set<string>;
  private serial = 0;
  /** int64 constants by value, so repeated shapes and axes share one initializer. */
  private readonly intConstants = new Map<string, string>();

  constructor(
    readonly opset: number,
    reserved: Iterable<string>,
  ) {
    this.taken = new Set(reserved);
  }

  /** A fresh value name with a readable stem. */
  fresh(stem: string): string {
    let name = `${stem}_${this.serial++}`;
    while (this.taken.has(name)) name = `${stem}_${this.serial++}`;
    this.taken.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares a graph output, copied out of `value` by an Identity so two outputs never share one value. */
  output(value: string, name: string, dtype: DType, shape: readonly Dim[]): void {
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

  op(type: string, inputs: readonly string[], attributes: Readonly<Record<string, AttrValue>> = {}, output?: string): string {
    const out = output ?? this.fresh(type.toLowerCase());
    const attribute_ = Object.entries(attributes).map(([k, v]) => attribute(k, v));
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: [...inputs], output: [out], name: `${type}_${this.nodes.length}`, attribute: attribute_ }));
    return out;
  }

  /**
   * The initializers some node or graph output reads. A lowering may make a constant and then
   * not use it (max(x, 0) becomes Relu, leaving its 0 behind); onnxruntime would drop it with a
   * warning on every session, so it is left out here.
   */
  private usedInitializers(): TensorProto[] {
    const read = new Set<string>(this.nodes.flatMap((n) => n.input ?? []));
    for (const o of this.outputs) if (o.name) read.add(o.name);
    return this.initializers.filter((t) => t.name !== undefined && t.name !== null && read.has(t.name));
  }

  encode(info: ModelInfo): Uint8Array {
    const model = onnx.ModelProto.create({
      // IR version 8 goes with opsets 17 and 18; later opsets need the IR versions that came with them.
      irVersion: info.opset >= 21 ? 10 : info.opset >= 19 ? 9 : 8,
      producerName: "unfold",
      producerVersion: info.producerVersion ?? "",
      opsetImport: [{ domain: "", version: info.opset }],
      metadataProps: [...info.metadata].map(([key, value]) => ({ key, value })),
      graph: { name: info.graphName, node: this.nodes, initializer: this.usedInitializers(), input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
