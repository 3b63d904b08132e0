import { formatShape } from "../../errors.js";
import type { Node } from "../../ir/node.js";

/**
 * A node as a backend's errors name it: its op, its id, the user's label when it has one, and
 * its shape ("matmul %12 'scores' [4, 8, 8]").
 */
export function describeNode(node: Node): string {
  return `${node.op} %${node.id}${node.label ? ` '${node.label}'` : ""} ${formatShape(node.shape)}`;
}
