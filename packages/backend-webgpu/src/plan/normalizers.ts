import type { Node } from "@unfold/core";

/** A max-shifted softmax or logsumexp found in a program, to run as one row kernel. */
export interface NormalizerMatch {
  readonly mode: "softmax" | "logsumexp";
  /** The argument the rows are taken of. */
  readonly input: number;
  readonly axis: number;
  /** The decomposition's inner nodes, which the fused kernel replaces. */
  readonly internal: readonly number[];
}

/**
 * Finds core's stable decompositions of softmax, exp(x - m) / sum(exp(x - m)), and of logsumexp,
 * log(sum(exp(x - m))) + m, with m = stopGradient(max(x)) over one axis (the stopGradient may
 * already be simplified away), where nothing outside reads the inner nodes. Each becomes one
 * kernel (max, sum of exponentials, result) instead of four or five dispatches and buffers.
 * Keyed by the node that yields the result (the div, or the add).
 */
export function detectNormalizers(nodes: readonly Node[], uses: readonly number[], outputs: ReadonlySet<number>): Map<number, NormalizerMatch> {
  const found = new Map<number, NormalizerMatch>();
  const only = (id: number, count: number): boolean => uses[id] === count && !outputs.has(id);
  /** exp(x - shift) with shift = [stopGradient] reduceMax(x) over one axis. */
  const shifted = (eId: number): { x: number; axis: number; max: Node; sg: Node | undefined; sub: Node; shift: number } | undefined => {
    const e = nodes[eId]!;
    if (e.op !== "exp") return undefined;
    const sub = nodes[e.inputs[0]!]!;
    if (sub.op !== "sub") return undefined;
    const shiftNode = nodes[sub.inputs[1]!]!;
    const sg = shiftNode.op === "stopGradient" ? shiftNode : undefined;
    const max = sg ? nodes[shiftNode.inputs[0]!]! : shiftNode;
    const x = sub.inputs[0]!;
    if (max.op !== "reduceMax" || max.inputs[0] !== x || max.axes.length !== 1) return undefined;
    return { x, axis: max.axes[0]!, max, sg, sub, shift: shiftNode.id };
  };
  for (const d of nodes) {
    if (d.op === "div" && d.composite === "softmax") {
      const s = nodes[d.inputs[1]!]!;
      const m = shifted(d.inputs[0]!);
      if (!m || s.op !== "sum" || s.inputs[0] !== d.inputs[0] || s.axes.length !== 1 || s.axes[0] !== m.axis) continue;
      const e = d.inputs[0]!;
      const ok = only(m.max.id, 1) && (!m.sg || only(m.sg.id, 1)) && only(m.sub.id, 1) && only(e, 2) && only(s.id, 1);
      if (!ok) continue;
      found.set(d.id, { mode: "softmax", input: m.x, axis: m.axis, internal: [m.max.id, ...(m.sg ? [m.sg.id] : []), m.sub.id, e, s.id] });
    } else if (d.op === "add" && d.composite === "logsumexp") {
      const l = nodes[d.inputs[0]!]!;
      if (l.op !== "log") continue;
      const s = nodes[l.inputs[0]!]!;
      if (s.op !== "sum" || s.axes.length !== 1) continue;
      const m = shifted(s.inputs[0]!);
      if (!m || m.axis !== s.axes[0] || d.inputs[1] !== m.shift) continue;
      // The shift is read twice (by the sub and by the final add); through a stopGradient, the max once.
      const shiftUses = m.sg ? only(m.sg.id, 2) && only(m.max.id, 1) : only(m.max.id, 2);
      const ok = shiftUses && only(m.sub.id, 1) && only(s.inputs[0]!, 1) && only(s.id, 1) && only(l.id, 1);
      if (!ok) continue;
      found.set(d.id, { mode: "logsumexp", input: m.x, axis: m.axis, internal: [m.max.id, ...(m.sg ? [m.sg.id] : []), m.sub.id, s.inputs[0]!, s.id, l.id] });
    }
  }
  return found;
}
