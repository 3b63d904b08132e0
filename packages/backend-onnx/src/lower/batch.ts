import { type Node, type Program, ShapeError, formatShape } from "@unfold/core";

/**
 * Which values carry the symbolic batch axis as their leading axis, for exporting a model whose
 * batch size is left open. A program qualifies when every op's shape rule treats that axis as a
 * bystander: nothing reduces, contracts, slices, concatenates or gathers along it, nothing moves
 * it off the front, and nothing of a fixed size meets it except by broadcasting a size 1.
 * Anything else throws, naming the op, rather than export a graph that is wrong for other sizes.
 */
export function batchedValues(program: Program, batchedFeeds: ReadonlySet<string>): Uint8Array {
  const nodes = program.nodes;
  const batched = new Uint8Array(nodes.length);
  const fail = (node: Node, why: string): never => {
    throw new ShapeError(node.op, `%${node.id} ${formatShape(node.shape)} ${why}, so the batch axis cannot be symbolic`);
  };
  for (const node of nodes) {
    const b = node.inputs.map((i) => batched[i] === 1);
    const any = b.some(Boolean);
    const rank = node.shape.length;
    const arg = (k: number): Node => nodes[node.inputs[k]!]!;
    switch (node.op) {
      case "input":
      case "param":
        batched[node.id] = batchedFeeds.has(node.name) ? 1 : 0;
        continue;
      case "constant":
        continue;
      case "sum":
      case "reduceMax":
        if (any && node.axes.includes(0)) fail(node, "reduces over the batch axis");
        break;
      case "matmul":
        if (b[0] && arg(0).shape.length !== rank) fail(node, "broadcasts a batched left operand over further batch axes");
        if (b[1] && (arg(1).shape.length !== rank || rank < 3)) fail(node, "contracts over or broadcasts the batch axis of its right operand");
        // Axis 0 of a rank-2 product is a row (or the contraction) axis, not a batch axis.
        if (any && rank >= 3) checkFixedOperands(node, b, nodes, fail);
        break;
      case "reshape":
        if (any && (rank === 0 || node.shape[0] !== arg(0).shape[0])) fail(node, "reshapes across the batch axis");
        break;
      case "broadcast":
        if (any && arg(0).shape.length !== rank) fail(node, "moves the batch axis off the front");
        break;
      case "transpose":
        if (any && node.perm[0] !== 0) fail(node, "moves the batch axis off the front");
        break;
      case "slice":
        if (any && (node.begin[0] !== 0 || node.shape[0] !== arg(0).shape[0])) fail(node, "slices the batch axis");
        break;
      case "concat":
        if (any && (node.axis === 0 || !b.every(Boolean))) fail(node, "concatenates along, or mixes fixed sizes into, the batch axis");
        break;
      case "gather":
        if (b[0] && node.axis === 0) fail(node, "gathers along the batch axis");
        if (b[1] && node.axis !== 0) fail(node, "puts batched indices behind other axes");
        break;
      case "scatterAdd":
        if (any) fail(node, "scatters batched updates");
        break;
      default:
        // Elementwise (unary, cast, binary): batched operands must line up with the output's
        // leading axis, and fixed ones may only meet it with a size 1.
        if (any) {
          node.inputs.forEach((i, k) => {
            if (b[k] && nodes[i]!.shape.length !== rank) fail(node, "broadcasts a batched operand over further leading axes");
          });
          checkFixedOperands(node, b, nodes, fail);
        }
    }
    batched[node.id] = any ? 1 : 0;
  }
  return batched;
}

function checkFixedOperands(node: Node, b: readonly boolean[], nodes: readonly Node[], fail: (node: Node, why: string) => never): void {
  node.inputs.forEach((i, k) => {
    const shape = nodes[i]!.shape;
    if (!b[k] && shape.length === node.shape.length && shape[0] !== 1) fail(node, `meets an operand of fixed leading size ${shape[0]} on the batch axis`);
  });
}
