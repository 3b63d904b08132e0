import type { Node } from "../ir/node.js";
import { type Program, feedsOf } from "../ir/program.js";

/** What a rewrite decides for one node: keep it (with remapped inputs), or reuse another new node. */
export type Decision = { keep: Node } | { alias: number };

/**
 * Walks a program in order, letting `visit` keep each node (inputs already remapped to the new
 * numbering) or alias it to an earlier new node. Returns the renumbered program.
 */
export function rewrite(program: Program, visit: (node: Node, kept: readonly Node[]) => Decision): Program {
  const map = new Int32Array(program.nodes.length);
  const kept: Node[] = [];
  for (const node of program.nodes) {
    const remapped = { ...node, inputs: node.inputs.map((i) => map[i]!) } as Node;
    const decision = visit(remapped, kept);
    if ("alias" in decision) map[node.id] = decision.alias;
    else {
      const id = kept.length;
      kept.push({ ...decision.keep, id } as Node);
      map[node.id] = id;
    }
  }
  return {
    nodes: kept,
    feeds: feedsOf(kept),
    outputs: program.outputs.map((o) => ({ name: o.name, id: map[o.id]! })),
  };
}
