import type { Node } from "../../ir/node.js";
import { type Nodes, constantValue, withConstant } from "./match.js";
import type { SigmoidComposite } from "./record.js";

/**
 * core's sigmoid, each branch on its own half-line: add(mul(p, div(1, add(exp(neg(max(x, 0))), 1))),
 * mul(sub(1, p), div(e, add(e, 1)))) with p = greaterEqual(x, 0) and e = exp(min(x, 0)).
 */
export function matchSigmoid(nodes: Nodes, root: Node): SigmoidComposite | undefined {
  if (root.op !== "add") return undefined;
  const [upperTerm, lowerTerm] = root.inputs.map((i) => nodes[i]!) as [Node, Node];
  if (upperTerm.op !== "mul" || lowerTerm.op !== "mul") return undefined;
  const p = nodes[upperTerm.inputs[0]!]!;
  if (p.op !== "greaterEqual" || constantValue(nodes[p.inputs[1]!]) !== 0) return undefined;
  const x = p.inputs[0]!;
  const upper = nodes[upperTerm.inputs[1]!]!;
  if (upper.op !== "div" || constantValue(nodes[upper.inputs[0]!]) !== 1) return undefined;
  const ePosPlus1 = upper.inputs[1]!;
  const ePosId = withConstant(nodes, ePosPlus1, "add", 1);
  const ePos = ePosId === undefined ? undefined : nodes[ePosId]!;
  if (ePos?.op !== "exp") return undefined;
  const neg = nodes[ePos.inputs[0]!]!;
  if (neg.op !== "neg" || withConstant(nodes, neg.inputs[0]!, "max", 0) !== x) return undefined;
  const oneMinusP = nodes[lowerTerm.inputs[0]!]!;
  if (oneMinusP.op !== "sub" || constantValue(nodes[oneMinusP.inputs[0]!]) !== 1 || oneMinusP.inputs[1] !== p.id) return undefined;
  const lower = nodes[lowerTerm.inputs[1]!]!;
  if (lower.op !== "div") return undefined;
  const eNeg = nodes[lower.inputs[0]!]!;
  if (eNeg.op !== "exp" || withConstant(nodes, eNeg.inputs[0]!, "min", 0) !== x) return undefined;
  if (withConstant(nodes, lower.inputs[1]!, "add", 1) !== eNeg.id) return undefined;
  const upperInner = [p.id, neg.inputs[0]!, neg.id, ePos.id, ePosPlus1, upper.id, upperTerm.id];
  const lowerInner = [oneMinusP.id, eNeg.inputs[0]!, eNeg.id, lower.inputs[1]!, lower.id, lowerTerm.id];
  return { kind: "sigmoid", root: root.id, args: [x], inner: [...upperInner, ...lowerInner], input: x, axis: -1 };
}
