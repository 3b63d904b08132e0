import type { Program } from "../ir/program.js";
import { sinkBroadcasts } from "./broadcasts.js";
import { eliminateCommonSubexpressions } from "./cse.js";
import { eliminateDeadCode } from "./dce.js";
import { foldConstants } from "./fold.js";
import { simplify } from "./simplify.js";

/** The standard pipeline, repeated until the program stops shrinking. */
export function optimize(program: Program): Program {
  let current = program;
  for (let round = 0; round < 8; round++) {
    const next = eliminateDeadCode(eliminateCommonSubexpressions(simplify(foldConstants(sinkBroadcasts(current)))));
    if (next.nodes.length >= current.nodes.length) return next;
    current = next;
  }
  return current;
}
