import { FeedError, formatShape } from "../errors.js";
import type { Program } from "../ir/program.js";
import { unravel } from "./host-data.js";
import type { HostTensor } from "./tensor.js";

/** A feed that a gather or scatterAdd reads as its indices, and the range they must fall in. */
interface IndexFeed {
  readonly feed: string;
  readonly op: "gather" | "scatterAdd";
  readonly axis: number;
  /** Indices must be integers in [0, size). */
  readonly size: number;
}

const indexFeedsOf = new WeakMap<Program, readonly IndexFeed[]>();

/** The feeds of `program` used directly as gather or scatterAdd indices (found once per program). */
function indexFeeds(program: Program): readonly IndexFeed[] {
  let found = indexFeedsOf.get(program);
  if (found) return found;
  const list: IndexFeed[] = [];
  for (const node of program.nodes) {
    if (node.op !== "gather" && node.op !== "scatterAdd") continue;
    const indices = program.nodes[node.inputs[1]!]!;
    if (indices.op !== "input" && indices.op !== "param") continue;
    // gather picks rows of its operand; scatterAdd adds into rows of its output.
    const size = node.op === "gather" ? program.nodes[node.inputs[0]!]!.shape[node.axis]! : node.shape[node.axis]!;
    list.push({ feed: indices.name, op: node.op, axis: node.axis, size });
  }
  found = list;
  indexFeedsOf.set(program, found);
  return found;
}

/**
 * Host feeds used as gather or scatterAdd indices hold integers in range. Checked here, once, for
 * every backend: a GPU kernel cannot throw, and would otherwise clamp a bad index to the nearest
 * row without a word while the reference and the CPU backend refuse it. Indices computed inside
 * the program cannot be checked before the run (the README's Backends section says what each
 * backend does with those).
 */
export function checkIndexFeeds(program: Program, feeds: Readonly<Record<string, HostTensor | undefined>>): void {
  for (const { feed, op, axis, size } of indexFeeds(program)) {
    const t = feeds[feed];
    if (!t) continue; // a device tensor: checked, if at all, where it was made
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isInteger(v) && v >= 0 && v < size) continue;
      throw new FeedError("run", `feed '${feed}' holds ${v} at element ${formatShape(unravel(i, t.shape))}, but ${op} along axis ${axis} needs integer indices in [0, ${size})`);
    }
  }
}
