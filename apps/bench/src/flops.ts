import { type Node, type Program, sizeOf } from "@unfold/core";

/** Floating-point operations of a program, in total and by kind. */
export interface FlopCount {
  readonly total: number;
  /** 2 m k n per matrix product, times its batch. */
  readonly matmul: number;
  /** One per output element of an arithmetic elementwise op. */
  readonly elementwise: number;
  /** One per input element of a sum or max reduction (and per update of a scatter-add). */
  readonly reduction: number;
}

/**
 * Counts the floating-point operations of a program from its nodes: 2 m k n for every (batched)
 * matmul, one per output element for arithmetic elementwise ops, one per input element for sum
 * and max reductions. Leaves, constants, layout ops (reshape, broadcast, transpose, slice,
 * concat, gather), casts and stopGradient move or relabel data and count zero. The count belongs
 * to the program, not to an engine: every engine of a workload is credited with the same count.
 */
export function countFlops(program: Program): FlopCount {
  let matmul = 0;
  let elementwise = 0;
  let reduction = 0;
  for (const node of program.nodes) {
    const kind = flopKind(node);
    if (kind === "matmul") {
      const a = program.nodes[node.inputs[0]!]!;
      const k = a.shape.at(-1)!;
      // The output [..., m, n] already carries the broadcast batch.
      matmul += 2 * sizeOf(node.shape) * k;
    } else if (kind === "elementwise") {
      elementwise += sizeOf(node.shape);
    } else if (kind === "reduction") {
      reduction += sizeOf(program.nodes[node.inputs[0]!]!.shape);
    }
  }
  return { total: matmul + elementwise + reduction, matmul, elementwise, reduction };
}

function flopKind(node: Node): "matmul" | "elementwise" | "reduction" | "none" {
  switch (node.op) {
    case "matmul":
      return "matmul";
    case "sum":
    case "reduceMax":
    case "scatterAdd":
      return "reduction";
    case "input":
    case "param":
    case "constant":
    case "cast":
    case "stopGradient":
    case "reshape":
    case "broadcast":
    case "transpose":
    case "slice":
    case "concat":
    case "gather":
      return "none";
    default:
      // Every other op is an arithmetic unary or binary elementwise function.
      return "elementwise";
  }
}
