import onnxProto from "onnx-proto";
import type { DType } from "@unfold/core";
import type { Dim } from "./dim.js";

// onnx-proto is CommonJS: its namespace arrives as the default export.
export const { onnx } = onnxProto;

export type NodeProto = InstanceType<typeof onnx.NodeProto>;
export type TensorProto = InstanceType<typeof onnx.TensorProto>;
export type ValueInfoProto = InstanceType<typeof onnx.ValueInfoProto>;
export type AttributeProto = InstanceType<typeof onnx.AttributeProto>;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;

/** TensorProto.DataType codes used here. */
export const ELEM = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;

export type GraphProto = InstanceType<typeof onnx.GraphProto>;

/** An element type a graph value may have: a float dtype, or int64 and bool (counters, conditions). */
export type ElemType = DType | "int64" | "bool";

export function elemTypeOf(dtype: ElemType): number {
  return ELEM[dtype];
}

export function valueInfo(name: string, dtype: ElemType, shape: readonly Dim[]): ValueInfoProto {
  const dim = shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: elemTypeOf(dtype), shape: { dim } } } });
}

/** A float tensor stored as little-endian raw bytes (compact, and exact for float64). */
export function floatTensor(name: string, dtype: DType, shape: readonly number[], values: ArrayLike<number>): TensorProto {
  const typed = dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
  const rawData = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  return onnx.TensorProto.create({ name, dataType: elemTypeOf(dtype), dims: [...shape], rawData });
}

export function int64Tensor(name: string, values: readonly number[], shape: readonly number[] = [values.length]): TensorProto {
  return onnx.TensorProto.create({ name, dataType: ELEM.int64, dims: [...shape], int64Data: [...values] });
}

/** A bool tensor (a Loop's condition), one byte per element as int32_data holds them. */
export function boolTensor(name: string, values: readonly boolean[], shape: readonly number[] = [values.length]): TensorProto {
  return onnx.TensorProto.create({ name, dataType: ELEM.bool, dims: [...shape], int32Data: values.map((v) => (v ? 1 : 0)) });
}

/** Attribute values by kind: an integer, a float, a list of integers, a string, or a subgraph (a Loop's body). */
export type AttrValue = { int: number } | { float: number } | { ints: readonly number[] } | { string: string } | { graph: GraphProto };

export function attribute(name: string, value: AttrValue): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("int" in value) return onnx.AttributeProto.create({ name, type: T.INT, i: value.int });
  if ("float" in value) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.float });
  if ("ints" in value) return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...value.ints] });
  if ("graph" in value) return onnx.AttributeProto.create({ name, type: T.GRAPH, g: value.graph });
  return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value.string) });
}
