import type { Program } from "../ir/program.js";
import { rewrite } from "./rewrite.js";

/** Drops nodes no output depends on. Feeds stay, even unused, so callers' feeds remain valid. */
export function eliminateDeadCode(program: Program): Program {
  const live = new Uint8Array(program.nodes.length);
  for (const o of program.outputs) live[o.id] = 1;
  for (let id = program.nodes.length - 1; id >= 0; id--) {
    const node = program.nodes[id]!;
    if (node.op === "input" || node.op === "param") live[id] = 1;
    if (live[id]) for (const i of node.inputs) live[i] = 1;
  }
  if (live.every((l) => l === 1)) return program;
  // Dead nodes are never referenced by live ones, so aliasing them anywhere is harmless.
  return rewrite(program, (node) => (live[node.id] ? { keep: node } : { alias: 0 }));
}
