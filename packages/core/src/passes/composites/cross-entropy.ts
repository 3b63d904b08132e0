import type { Node } from "../../ir/node.js";
import { sameShape } from "../../shape.js";
import { type Nodes, constantValue, single } from "./match.js";
import { matchLogSoftmax } from "./normalizers.js";
import type { CrossEntropyComposite } from "./record.js";

/** Through a reshape, if `id` is one. */
const unreshaped = (nodes: Nodes, id: number): Node => {
  const n = nodes[id]!;
  return n.op === "reshape" ? nodes[n.inputs[0]!]! : n;
};

/**
 * core's crossEntropy after optimize, a scalar: mean(neg(sum(mul(targets, logSoftmax(logits, [a])), [a]))),
 * the mean div(sum(., every axis), rows) over the rows; with one row (rank-1 logits) the mean is
 * simplified away and the root is the neg. Each reduction is an IR sum keeping its axes, then a
 * reshape dropping them.
 */
export function matchCrossEntropy(nodes: Nodes, root: Node): CrossEntropyComposite | undefined {
  if (root.shape.length !== 0) return undefined;
  const count = root.op === "div" ? constantValue(nodes[root.inputs[1]!]) : 1;
  const total = root.op === "div" ? nodes[root.inputs[0]!]! : root;
  const sum = unreshaped(nodes, total.id);
  const neg = sum.op === "sum" ? nodes[sum.inputs[0]!]! : sum;
  // The mean's nodes below the root: the sum over every axis, its reshape, and the division's operand.
  const mean = sum.op === "sum" ? [...new Set([sum.id, total.id])].filter((id) => id !== root.id) : [];
  if (neg.op !== "neg" || (sum.op === "sum" && sum.axes.length !== neg.shape.length) || count !== neg.shape.reduce((a, b) => a * b, 1)) return undefined;
  const perRow = nodes[neg.inputs[0]!]!;
  const rowSum = unreshaped(nodes, perRow.id);
  const axis = rowSum.op === "sum" ? single(rowSum.axes) : undefined;
  if (rowSum.op !== "sum" || axis === undefined) return undefined;
  const product = nodes[rowSum.inputs[0]!]!;
  if (product.op !== "mul") return undefined;
  const [targets, ls] = product.inputs as [number, number];
  const logSoftmax = matchLogSoftmax(nodes, nodes[ls]!);
  if (!logSoftmax || logSoftmax.axis !== axis || !sameShape(nodes[targets]!.shape, nodes[ls]!.shape)) return undefined;
  const rows = [...new Set([ls, product.id, rowSum.id, perRow.id, neg.id])].filter((id) => id !== root.id);
  return { kind: "crossEntropy", root: root.id, args: [logSoftmax.input, targets], inner: [...logSoftmax.inner, ...rows, ...mean], logits: logSoftmax.input, targets, axis, logSoftmax: ls };
}
