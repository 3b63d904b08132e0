import type { CompositeOf, Node } from "@unfold/core";
import type { LowerContext } from "./context.js";

/**
 * The composite kinds the export looks for (core's recognizer finds them): those with an ONNX
 * operator of the same meaning for some instance. Others run node by node, and so do the
 * composites inside them (a crossEntropy's logSoftmax is still found on its own).
 */
export const ONNX_COMPOSITES = ["softmax", "logSoftmax", "logsumexp", "layerNorm", "sigmoid"] as const;
/** A composite of a kind the export looks for. */
export type OnnxComposite = CompositeOf<(typeof ONNX_COMPOSITES)[number]>;

/**
 * The native ONNX operator for a recognised composite, or undefined where none has the same
 * meaning (the composite then lowers node by node). Softmax and LogSoftmax (opset 13+) take one
 * axis, any axis; ReduceLogSumExp keeps the axis as the decomposition does.
 */
export function lowerFused(ctx: LowerContext, f: OnnxComposite, root: Node): string | undefined {
  const g = ctx.graph;
  const x = ctx.value(f.input);
  switch (f.kind) {
    case "softmax":
      return g.op("Softmax", [x], { axis: { int: f.axis } });
    case "logSoftmax":
      return g.op("LogSoftmax", [x], { axis: { int: f.axis } });
    case "sigmoid":
      return g.op("Sigmoid", [x]);
    case "logsumexp":
      // No native operator: ReduceLogSumExp need not shift by the maximum (onnxruntime-web's
      // WebGPU kernel returns Infinity for logits near 1000), so the exported graph keeps core's
      // stable max-shifted decomposition, which every runtime computes exactly.
      return undefined;
    case "layerNorm": {
      // LayerNormalization normalizes from `axis` to the last axis, so only a last-axis layer
      // norm is one. Its epsilon attribute is a float32, and onnxruntime's kernel computes the
      // variance as E[x^2] - E[x]^2: in float64 neither matches the decomposition to 1e-12, so
      // float64 keeps the primitive lowering.
      const rank = root.shape.length;
      if (f.axis !== rank - 1 || root.dtype !== "float32") return undefined;
      const d = root.shape[rank - 1]!;
      const scale = g.floats(root.dtype, [d], new Float64Array(d).fill(1), "ones");
      return g.op("LayerNormalization", [x, scale], { axis: { int: -1 }, epsilon: { float: f.eps } });
    }
  }
}
