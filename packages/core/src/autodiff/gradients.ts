import { ShapeError, UnfoldError, atPlace, describe } from "../errors.js";
import { ruleFor } from "../primitives/registry.js";
import { sameShape } from "../shape.js";
import type { Tensor } from "../trace/graph.js";
import * as ops from "../trace/ops.js";

/**
 * Reverse-mode differentiation on a graph: appends nodes computing the cotangent of each x
 * given the cotangent `seed` of y (1 for a scalar y). Because the derivative is itself traced
 * into the same graph, it can be differentiated again. The xs may be leaves or intermediate
 * values; a derivative with respect to an intermediate counts every path from it to y.
 */
export function gradients(y: Tensor, xs: readonly Tensor[], seed?: Tensor): Tensor[] {
  const graph = y.graph;
  for (const x of xs) if (x.graph !== graph) throw new UnfoldError("grad", "inputs come from a different trace");
  if (seed) {
    if (!sameShape(seed.shape, y.shape)) {
      throw new ShapeError("vjp", `cotangent ${describe(seed.label, seed.shape)} does not match output ${describe(y.label, y.shape)}`);
    }
  } else if (y.size !== 1) {
    throw new ShapeError("grad", `output ${describe(y.label, y.shape)} is not a scalar; differentiate a sum or pass a cotangent (vjp)`);
  }
  const start = Math.min(...xs.map((x) => x.id));
  const end = y.id;
  // Only values downstream of some x can carry a non-zero cotangent to it.
  const relevant = new Uint8Array(Math.max(end + 1, 0));
  for (const x of xs) if (x.id <= end) relevant[x.id] = 1;
  for (let id = start + 1; id <= end; id++) {
    if (graph.nodes[id]!.inputs.some((i) => relevant[i])) relevant[id] = 1;
  }
  const cotangents = new Map<number, Tensor>();
  if (end >= start && relevant[end]) cotangents.set(end, seed ?? atPlace(gradientOf(y.node.origin), () => graph.constant(1, y.shape, y.dtype)));
  for (let id = end; id > start; id--) {
    const g = cotangents.get(id);
    const node = graph.nodes[id]!;
    if (!g || node.inputs.length === 0) continue;
    // The derivative nodes of a node's rule belong to the user code that traced the node.
    atPlace(gradientOf(node.origin), () => {
      const args = node.inputs.map((i) => graph.tensor(i));
      const parts = ruleFor(node.op).vjp({ node: node as never, args, output: graph.tensor(id), cotangent: g });
      node.inputs.forEach((input, k) => {
        const part = parts[k];
        if (!part || !relevant[input]) return;
        const prev = cotangents.get(input);
        cotangents.set(input, prev ? ops.add(prev, part) : part);
      });
    });
  }
  return xs.map((x) => cotangents.get(x.id) ?? ops.zeros(x));
}

/** How the derivative of a node traced at `origin` is named in errors. */
function gradientOf(origin: string | undefined): string | undefined {
  return origin === undefined ? undefined : `the gradient of ${origin}`;
}
