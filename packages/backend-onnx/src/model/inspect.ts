import type { DType } from "@unfold/core";
import type OnnxProto from "onnx-proto";
import type { Dim } from "./dim.js";
import { ELEM, onnx } from "./proto.js";

/** A graph input or output as declared: name, element type and shape (symbolic axes by name). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dtype: DType | "other";
  readonly shape: readonly Dim[];
}

/** What an encoded model holds, read back from its bytes: enough to describe or check a file. */
export interface OnnxModelSummary {
  readonly opset: number;
  readonly producer: string;
  readonly nodes: number;
  /** Node count per operator type. */
  readonly opTypes: Readonly<Record<string, number>>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly initializers: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly bytes: number;
}

type DecodedValue = OnnxProto.onnx.IValueInfoProto;

function valueOf(v: DecodedValue): OnnxValueInfo {
  const tensor = v.type?.tensorType;
  const elem = tensor?.elemType;
  const dtype = elem === ELEM.float32 ? "float32" : elem === ELEM.float64 ? "float64" : "other";
  const shape = (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0)));
  return { name: v.name ?? "", dtype, shape };
}

/** Decodes a model (from exportOnnx or any ONNX file) into a summary. */
export function inspectOnnx(bytes: Uint8Array): OnnxModelSummary {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  const opTypes: Record<string, number> = {};
  for (const n of graph?.node ?? []) opTypes[n.opType ?? ""] = (opTypes[n.opType ?? ""] ?? 0) + 1;
  const defaultDomain = (model.opsetImport ?? []).find((o) => !o.domain);
  return {
    opset: Number(defaultDomain?.version ?? 0),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    nodes: graph?.node?.length ?? 0,
    opTypes,
    inputs: (graph?.input ?? []).map(valueOf),
    outputs: (graph?.output ?? []).map(valueOf),
    initializers: graph?.initializer?.length ?? 0,
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""])),
    bytes: bytes.byteLength,
  };
}
