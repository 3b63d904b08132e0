import type { Node } from "../ir/node.js";
import type { Program } from "../ir/program.js";
import { sameShape } from "../shape.js";
import { rewrite } from "./rewrite.js";

function isConstant(node: Node | undefined, v: number): boolean {
  return node?.op === "constant" && node.value.every((x) => x === v);
}

/**
 * Algebraic identities that autodiff output is full of: x + 0, x - 0, x * 1, x / 1, -(-x),
 * identity reshapes and transposes, reductions over size-1 axes, and stopGradient (an identity
 * once differentiation is done).
 * An identity applies only where it cannot change the result's shape or dtype.
 */
export function simplify(program: Program): Program {
  return rewrite(program, (node, kept) => {
    const [a, b] = node.inputs.map((i) => kept[i]!);
    const passes = (x: Node | undefined): boolean => !!x && sameShape(x.shape, node.shape) && x.dtype === node.dtype;
    switch (node.op) {
      case "add":
        if (isConstant(b, 0) && passes(a)) return { alias: a!.id };
        if (isConstant(a, 0) && passes(b)) return { alias: b!.id };
        break;
      case "sub":
        if (isConstant(b, 0) && passes(a)) return { alias: a!.id };
        break;
      case "mul":
        if (isConstant(b, 1) && passes(a)) return { alias: a!.id };
        if (isConstant(a, 1) && passes(b)) return { alias: b!.id };
        break;
      case "div":
        if (isConstant(b, 1) && passes(a)) return { alias: a!.id };
        break;
      case "neg":
        if (a?.op === "neg") return { alias: a.inputs[0]! };
        break;
      case "stopGradient":
        return { alias: a!.id };
      case "reshape":
      case "broadcast":
        if (passes(a)) return { alias: a!.id };
        if (node.op === "reshape" && a?.op === "reshape") {
          // A chain that comes back to its source's shape is the source itself; checked here
          // because the middle reshape may stay live, so no later round would remove this one.
          const source = kept[a.inputs[0]!]!;
          return passes(source) ? { alias: source.id } : { keep: { ...node, inputs: [source.id] } };
        }
        break;
      case "sum":
      case "reduceMax":
        // Reducing only size-1 axes (kept as size 1) is the identity: a one-head mean, say.
        if (node.axes.every((axis) => a!.shape[axis] === 1) && passes(a)) return { alias: a!.id };
        break;
      case "transpose":
        if (node.perm.every((p, i) => p === i)) return { alias: a!.id };
        break;
      default:
        break;
    }
    return { keep: node };
  });
}
