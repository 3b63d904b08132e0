import type { Node } from "../../ir/node.js";
import { type Nodes, constantValue, single } from "./match.js";
import type { LayerNormComposite } from "./record.js";

/** mean(t, [a]) = div(sum(t, [a]), n) with n the axis length: t, the axis and the two nodes. */
function meanOf(nodes: Nodes, id: number): { of: number; axis: number; nodes: number[] } | undefined {
  const d = nodes[id]!;
  if (d.op !== "div") return undefined;
  const s = nodes[d.inputs[0]!]!;
  const axis = s.op === "sum" ? single(s.axes) : undefined;
  if (s.op !== "sum" || axis === undefined) return undefined;
  const n = constantValue(nodes[d.inputs[1]!]);
  const x = nodes[s.inputs[0]!]!;
  return n === x.shape[axis] ? { of: x.id, axis, nodes: [s.id, d.id] } : undefined;
}

/**
 * Layer norm before its gain and bias: div(c, sqrt(add(mean(c * c), eps))) with c = x - mean(x),
 * all over one axis, eps a constant. As traced, x is centered twice (once inside moments): only
 * after CSE is the centering the one node this structure has.
 */
export function matchLayerNorm(nodes: Nodes, root: Node): LayerNormComposite | undefined {
  if (root.op !== "div") return undefined;
  const centered = nodes[root.inputs[0]!]!;
  const sqrt = nodes[root.inputs[1]!]!;
  if (centered.op !== "sub" || sqrt.op !== "sqrt") return undefined;
  const mean = meanOf(nodes, centered.inputs[1]!);
  if (!mean || mean.of !== centered.inputs[0]) return undefined;
  const add = nodes[sqrt.inputs[0]!]!;
  if (add.op !== "add") return undefined;
  const eps = constantValue(nodes[add.inputs[1]!]);
  const variance = meanOf(nodes, add.inputs[0]!);
  if (eps === undefined || !variance || variance.axis !== mean.axis) return undefined;
  const square = nodes[variance.of]!;
  if (square.op !== "mul" || square.inputs[0] !== centered.id || square.inputs[1] !== centered.id) return undefined;
  const inner = [...mean.nodes, centered.id, square.id, ...variance.nodes, add.id, sqrt.id];
  return { kind: "layerNorm", root: root.id, args: [mean.of], inner, input: mean.of, axis: mean.axis, eps };
}
