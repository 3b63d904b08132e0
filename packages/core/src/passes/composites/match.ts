import type { Node } from "../../ir/node.js";

/** Helpers the composite matchers share. */

export type Nodes = readonly Node[];

/** The one axis of a reduction over one axis, or undefined. */
export const single = (axes: readonly number[]): number | undefined => (axes.length === 1 ? axes[0] : undefined);

/** A constant node holding one value (any shape), or undefined. */
export function constantValue(node: Node | undefined): number | undefined {
  if (node?.op !== "constant" || node.value.length === 0) return undefined;
  const v = node.value[0]!;
  return node.value.every((x) => x === v) ? v : undefined;
}

/** The other operand of a binary `op` node with the constant `c` on either side, or undefined. */
export function withConstant(nodes: Nodes, id: number, op: string, c: number): number | undefined {
  const n = nodes[id]!;
  if (n.op !== op) return undefined;
  const [l, r] = n.inputs as [number, number];
  if (constantValue(nodes[r]) === c) return l;
  if (constantValue(nodes[l]) === c) return r;
  return undefined;
}

/** Whether a transpose's permutation swaps the last two axes and keeps the others. */
export function swapsLastTwoAxes(perm: readonly number[]): boolean {
  const rank = perm.length;
  return rank >= 2 && perm.every((p, axis) => (axis < rank - 2 ? p === axis : p === 2 * rank - 3 - axis));
}
