import type { Program } from "../ir/program.js";
import { ruleFor } from "../primitives/registry.js";

/**
 * The float64 meaning of a program: each node evaluated by its primitive's reference rule, in
 * order. Float32 programs are evaluated in float64 too; this is the oracle, not an emulator.
 */
export function interpret(program: Program, feeds: ReadonlyMap<string, Float64Array>): Map<string, Float64Array> {
  const values: Float64Array[] = new Array(program.nodes.length);
  for (const node of program.nodes) {
    if (node.op === "input" || node.op === "param") values[node.id] = feeds.get(node.name)!;
    else if (node.op === "constant") values[node.id] = node.value;
    else {
      const args = node.inputs.map((i) => ({ data: values[i]!, shape: program.nodes[i]!.shape }));
      values[node.id] = ruleFor(node.op).evaluate(node as never, args);
    }
  }
  return new Map(program.outputs.map((o) => [o.name, values[o.id]!]));
}
