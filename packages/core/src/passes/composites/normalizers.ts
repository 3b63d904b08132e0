import type { Node } from "../../ir/node.js";
import { type Nodes, single } from "./match.js";
import type { LogSoftmaxComposite, LogsumexpComposite, RowBias, SoftmaxComposite } from "./record.js";

/**
 * The row normalizers, in the max-shifted form of core's trace/composites.ts: softmax,
 * logsumexp (axis kept) and logSoftmax, each over one axis, on any axis.
 */

/** reduceMax(x, [axis]) behind the stopGradient core's simplify may or may not have removed: the shift and its nodes. */
function maxShift(nodes: Nodes, id: number): { x: number; axis: number; nodes: number[] } | undefined {
  const shift = nodes[id]!;
  const max = shift.op === "stopGradient" ? nodes[shift.inputs[0]!]! : shift;
  if (max.op !== "reduceMax") return undefined;
  const axis = single(max.axes);
  return axis === undefined ? undefined : { x: max.inputs[0]!, axis, nodes: max === shift ? [max.id] : [max.id, shift.id] };
}

/** exp(x - m), m = maxShift(x) over `axis`: x, the axis, and the nodes up to the exp. */
function shiftedExp(nodes: Nodes, id: number): { x: number; axis: number; shift: number; nodes: number[] } | undefined {
  const e = nodes[id]!;
  if (e.op !== "exp") return undefined;
  const sub = nodes[e.inputs[0]!]!;
  if (sub.op !== "sub") return undefined;
  const shift = maxShift(nodes, sub.inputs[1]!);
  if (!shift || shift.x !== sub.inputs[0]) return undefined;
  return { x: shift.x, axis: shift.axis, shift: sub.inputs[1]!, nodes: [...shift.nodes, sub.id, e.id] };
}

/** softmax: div(e, sum(e, [a])) with e = exp(x - stopGradient(max(x, [a]))). */
export function matchSoftmax(nodes: Nodes, d: Node): SoftmaxComposite | undefined {
  if (d.op !== "div") return undefined;
  const s = nodes[d.inputs[1]!]!;
  const e = shiftedExp(nodes, d.inputs[0]!);
  if (!e || s.op !== "sum" || s.inputs[0] !== d.inputs[0] || single(s.axes) !== e.axis) return undefined;
  const rowBias = e.axis === d.shape.length - 1 ? rowBiasOf(nodes, nodes[e.x]!) : undefined;
  return { kind: "softmax", root: d.id, args: [e.x], inner: [...e.nodes, s.id], input: e.x, axis: e.axis, ...(rowBias ? { rowBias } : {}) };
}

/** logsumexp with the axis kept: add(log(sum(exp(x - m), [a])), m) with m = stopGradient(max(x, [a])). */
export function matchLogsumexp(nodes: Nodes, root: Node): LogsumexpComposite | undefined {
  if (root.op !== "add") return undefined;
  const log = nodes[root.inputs[0]!]!;
  if (log.op !== "log") return undefined;
  const s = nodes[log.inputs[0]!]!;
  if (s.op !== "sum") return undefined;
  const e = shiftedExp(nodes, s.inputs[0]!);
  if (!e || e.shift !== root.inputs[1] || single(s.axes) !== e.axis) return undefined;
  return { kind: "logsumexp", root: root.id, args: [e.x], inner: [...e.nodes, s.id, log.id], input: e.x, axis: e.axis };
}

/** logSoftmax: sub(x, logsumexp(x, [a], keepDims)). */
export function matchLogSoftmax(nodes: Nodes, root: Node): LogSoftmaxComposite | undefined {
  if (root.op !== "sub") return undefined;
  const lse = matchLogsumexp(nodes, nodes[root.inputs[1]!]!);
  if (!lse || lse.input !== root.inputs[0]) return undefined;
  return { kind: "logSoftmax", root: root.id, args: [lse.input], inner: [...lse.inner, lse.root], input: lse.input, axis: lse.axis };
}

/**
 * Whether x = sub(L, B) with B one row per batch item (shape [...lead, 1, n], lead equal to x's)
 * or one row for all ([1, ..., 1, n]), all of one dtype: the Yang logits less their column term.
 */
function rowBiasOf(nodes: Nodes, x: Node): RowBias | undefined {
  if (x.op !== "sub") return undefined;
  const [l, b] = [nodes[x.inputs[0]!]!, nodes[x.inputs[1]!]!];
  const rank = x.shape.length;
  if (rank === 0 || l.shape.length !== rank || b.shape.length !== rank || !l.shape.every((d, i) => d === x.shape[i])) return undefined;
  if (b.shape[rank - 1] !== x.shape[rank - 1] || l.dtype !== x.dtype || b.dtype !== x.dtype) return undefined;
  const found = (period: number): RowBias => ({ sub: x.id, logits: l.id, bias: b.id, period });
  if (rank === 1) return found(1);
  if (b.shape[rank - 2] !== 1) return undefined;
  const lead = x.shape.slice(0, -2);
  const bLead = b.shape.slice(0, -2);
  const rows = x.shape.slice(0, -1).reduce((a, c) => a * c, 1);
  if (bLead.every((d) => d === 1)) return found(Math.max(rows, 1));
  if (bLead.every((d, i) => d === lead[i])) return found(x.shape[rank - 2]!);
  return undefined;
}
