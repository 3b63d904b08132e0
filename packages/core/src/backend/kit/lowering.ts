import { UnfoldError } from "../../errors.js";
import type { ComputedOp, Node, SpecOf } from "../../ir/node.js";

/** A node of one computed op (or of a family of them), with that op's fields. */
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
 * bound, not lowered), and an op no table knows comes from a program built outside the tracer (or
 * a newer core); the error names the op, the backend and the node.
 */
export function lowerNode<Result, Context>(table: LoweringTable<Result, Context>, node: Node, context: Context, backend: string): Result {
  const op: string = node.op;
  const entry = Object.hasOwn(table, op) ? (table as unknown as Readonly<Record<string, (node: Node, context: Context) => Result>>)[op] : undefined;
  if (entry) return entry(node, context);
  const leaf = op === "input" || op === "param" || op === "constant";
  throw new UnfoldError(op, `${leaf ? "is a leaf and has" : "has"} no lowering in ${backend} (node %${node.id})`);
}

/**
 * One table entry shared by a family of ops (UNARY_OPS, BINARY_OPS), as a record to spread into
 * a LoweringTable: each op of the family gets `entry`, typed for that family's nodes.
 */
export function familyLowering<Family extends ComputedOp, Result, Context>(
  ops: readonly Family[],
  entry: (node: NodeOf<Family>, context: Context) => Result,
): { readonly [K in Family]: (node: NodeOf<K>, context: Context) => Result } {
  // Object.fromEntries types its keys as string; each key is one of `ops`, and NodeOf<K> is a NodeOf<Family>.
  return Object.fromEntries(ops.map((op) => [op, entry])) as unknown as { readonly [K in Family]: (node: NodeOf<K>, context: Context) => Result };
}
