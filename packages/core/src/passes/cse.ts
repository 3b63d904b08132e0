import type { Node } from "../ir/node.js";
import { type Program, nodeKey } from "../ir/program.js";
import { rewrite } from "./rewrite.js";

/** Merges nodes that compute the same primitive on the same inputs (and equal constants). */
export function eliminateCommonSubexpressions(program: Program): Program {
  const seen = new Map<string, number[]>();
  return rewrite(program, (node, kept) => {
    if (node.op === "input" || node.op === "param") return { keep: node };
    const key = nodeKey(node, node.inputs);
    const candidates = seen.get(key) ?? [];
    // Constant keys are hashes; equal hashes are confirmed value by value.
    const match = candidates.find((id) => node.op !== "constant" || sameValues(kept[id]!, node));
    if (match !== undefined) return { alias: match };
    candidates.push(kept.length);
    seen.set(key, candidates);
    return { keep: node };
  });
}

function sameValues(a: Node, b: Node): boolean {
  if (a.op !== "constant" || b.op !== "constant" || a.value.length !== b.value.length) return false;
  for (let i = 0; i < a.value.length; i++) if (!Object.is(a.value[i], b.value[i])) return false;
  return true;
}
