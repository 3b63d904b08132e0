import { UnfoldError } from "../../errors.js";
import type { ComputedOp, Node, SpecOf } from "../../ir/node.js";

/** A node of one computed op, with that op's fields. */
export type NodeOf<K extends ComputedOp> = Node & SpecOf<K>;

/**
 * A backend's lowering: one entry per computed op. Written as this mapped type, a primitive added
 * to core is a compile error in every backend whose table lacks it, instead of a `default:`
 * branch that throws when a user's program first meets it. Entries shared by a family of ops
 * (the elementwise ones, say) are spread in from a record built over UNARY_OPS or BINARY_OPS.
 */
export type LoweringTable<Result, Context = void> = {
  readonly [K in ComputedOp]: (node: NodeOf<K>, context: Context) => Result;
};

/**
 * Applies the table's entry for a node. A leaf reaching here is a planner's mistake (leaves are
 * bound, not lowered); the error names the backend, the op and the node.
 */
export function lowerNode<Result, Context>(table: LoweringTable<Result, Context>, node: Node, context: Context, backend: string): Result {
  const entry = (table as Partial<Record<Node["op"], (node: Node, context: Context) => Result>>)[node.op];
  if (!entry) throw new UnfoldError(node.op, `is a leaf and has no lowering in ${backend} (node %${node.id})`);
  return entry(node, context);
}
