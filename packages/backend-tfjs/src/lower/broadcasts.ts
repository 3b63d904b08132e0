import { type Node, type Program, sameShape } from "@unfold/core";
import type { PlanStep } from "./plan.js";

/** Elementwise binary primitives: their TensorFlow.js ops broadcast operands as NumPy does. */
const BROADCASTING: ReadonlySet<Node["op"]> = new Set(["add", "sub", "mul", "div", "max", "min", "pow", "greater", "greaterEqual", "equal"]);

/** NumPy's broadcast of two shapes (right-aligned), or undefined where they do not broadcast. */
function broadcastOf(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1;
    const y = b[b.length - rank + k] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}


/**
 * The broadcast steps that need not run: those read only by elementwise binary steps that
 * broadcast by themselves and still come out at their own shape when handed the smaller operand.
 * Autodiff makes many such broadcasts (the gradient of a sum is spread back over the summed
 * axes), and materializing each is a full copy. A broadcast that is an output always runs.
 * `unfused` holds the steps that run their node's own primitive (a fused composite's step reads
 * other values than its node's inputs). Decisions are checked together: a reader with two elided
 * operands must still come out at its shape.
 */
export function elidableBroadcasts(program: Program, steps: readonly PlanStep[], unfused: ReadonlySet<number>): Set<number> {
  const nodes = program.nodes;
  const readers = new Map<number, PlanStep[]>();
  for (const step of steps) for (const i of new Set(step.inputs)) readers.set(i, [...(readers.get(i) ?? []), step]);
  const outputs = new Set(program.outputs.map((o) => o.id));
  const elided = new Set<number>();
  // The shape a value really has at run time: an elided broadcast hands on its input's.
  const shapeOf = (id: number): readonly number[] => {
    let n: Node = nodes[id]!;
    while (elided.has(n.id)) n = nodes[n.inputs[0]!]!;
    return n.shape;
  };
  const keepsShape = (step: PlanStep): boolean => {
    const node = nodes[step.id]!;
    if (!unfused.has(step.id) || !BROADCASTING.has(node.op) || step.inputs.length !== 2) return false;
    const broadcast = broadcastOf(shapeOf(step.inputs[0]!), shapeOf(step.inputs[1]!));
    return broadcast !== undefined && sameShape(broadcast, node.shape);
  };
  for (const step of steps) {
    const node = nodes[step.id]!;
    if (node.op !== "broadcast" || outputs.has(node.id)) continue;
    const readBy = readers.get(node.id) ?? [];
    if (readBy.length === 0) continue;
    elided.add(node.id);
    if (!readBy.every(keepsShape)) elided.delete(node.id);
  }
  return elided;
}
