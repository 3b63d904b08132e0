import type { DType } from "../dtype.js";
import { UnfoldError } from "../errors.js";
import type { Node, NodeSpec } from "../ir/node.js";
import { type Program, feedsOf } from "../ir/program.js";
import type { Shape } from "../shape.js";

/**
 * Splitting long float32 sums into short ones, for backends whose engines add the terms of a
 * reduction one after another into a single float32 total (onnxruntime-web's and TensorFlow.js's
 * wasm kernels). Each term is then rounded against a total that keeps growing, and with terms of
 * similar magnitude the roundings lean one way: 2^16 terms near 0.1 come out 1.5e-5 off, 2^18
 * terms 3.4e-4, while 1,024 stay within 3e-7. A sum of more than `maxTerms` terms becomes a tree
 * of sums of at most `maxTerms` terms each (the axis reshaped into blocks, each block summed, then
 * the block totals summed), which keeps every partial total short: the 2^18 terms above then
 * come within 2e-7 (2^18 exponentials of nearly equal scores, the worst measured, 1.4e-6). Sums
 * that are short already stay the one node they were.
 *
 * Every new node is a standard primitive (slice, reshape, sum, add), so a model exported after
 * this pass is as portable as before, and a split never touches the leading axis unless the sum
 * reduced it: a symbolic batch axis stays possible. A softmax, logsumexp or layer norm over such
 * an axis no longer has the structure `findComposites` matches, so it runs through its
 * decomposition with the split sum rather than through a native operator that sums serially.
 */

/** The longest sum left as one node by default: 1,024 float32 terms added serially stay within 3e-7. */
export const LONG_SUM_TERMS = 1024;

/** Options of `splitLongSums`: how many terms one sum may keep, and in which dtypes sums are split. */
export interface SplitLongSumsOptions {
  /** The most terms one sum node may add up (an integer, at least 2; default LONG_SUM_TERMS). */
  readonly maxTerms?: number;
  /** The dtypes whose sums are split (default float32 only: float64 has room for any length here). */
  readonly dtypes?: readonly DType[];
}

/** Whether `node` is a sum of more than `maxTerms` terms in one of `dtypes`. */
function isLong(node: Node, nodes: readonly Node[], maxTerms: number, dtypes: readonly DType[]): node is Node & { op: "sum" } {
  if (node.op !== "sum" || !dtypes.includes(node.dtype)) return false;
  const shape = nodes[node.inputs[0]!]!.shape;
  return node.axes.reduce((terms, axis) => terms * shape[axis]!, 1) > maxTerms;
}

/** `shape` with axis `axis` replaced by `sizes` (none, one or several). */
function withAxis(shape: Shape, axis: number, ...sizes: number[]): number[] {
  return [...shape.slice(0, axis), ...sizes, ...shape.slice(axis + 1)];
}

/**
 * The block length for an axis of `length` terms: the largest divisor of the length in
 * (maxTerms / 2, maxTerms], so the blocks tile the axis with no remainder; maxTerms itself when
 * there is none (the remainder is then summed on its own).
 */
function blockLength(length: number, maxTerms: number): number {
  for (let d = maxTerms; d > maxTerms / 2; d--) if (length % d === 0) return d;
  return maxTerms;
}

/** The new program's nodes, numbered by position; the nodes that replace one sum share its dtype and tags. */
class Emitter {
  readonly nodes: Node[] = [];
  private dtype: DType = "float32";
  private tags: Pick<Node, "composite" | "origin"> = {};

  /**
   * Nodes emitted from now on replace `node`: its dtype, its composite tag (as tracing tags every
   * node of a composite) and its origin (the user code the sum came from).
   */
  replacing(node: Node): void {
    this.dtype = node.dtype;
    this.tags = { ...(node.composite !== undefined ? { composite: node.composite } : {}), ...(node.origin !== undefined ? { origin: node.origin } : {}) };
  }

  keep(node: Node, inputs: readonly number[]): number {
    const id = this.nodes.length;
    this.nodes.push({ ...node, id, inputs } as Node);
    return id;
  }

  shape(id: number): Shape {
    return this.nodes[id]!.shape;
  }

  emit(spec: NodeSpec, inputs: readonly number[], shape: readonly number[]): number {
    const id = this.nodes.length;
    this.nodes.push({ ...spec, id, inputs: [...inputs], shape: [...shape], dtype: this.dtype, ...this.tags } as Node);
    return id;
  }

  /** Gives node `id` the user's name for the value it now computes. */
  label(id: number, label: string | undefined): void {
    if (label !== undefined) this.nodes[id] = { ...this.nodes[id]!, label };
  }
}

/** Sums `x` over one axis (kept, as size 1) in sums of at most `maxTerms` terms each. */
function sumAxis(out: Emitter, x: number, axis: number, maxTerms: number): number {
  const shape = out.shape(x);
  const length = shape[axis]!;
  if (length === 1) return x;
  if (length <= maxTerms) return out.emit({ op: "sum", axes: [axis] }, [x], withAxis(shape, axis, 1));
  const block = blockLength(length, maxTerms);
  const count = Math.floor(length / block);
  const whole = count * block;
  const begin = shape.map(() => 0);
  const head = whole === length ? x : out.emit({ op: "slice", begin }, [x], withAxis(shape, axis, whole));
  let total: number;
  if (count === 1) total = out.emit({ op: "sum", axes: [axis] }, [head], withAxis(shape, axis, 1));
  else {
    // Block j holds terms j*block .. j*block + block - 1, contiguous along the axis.
    const blocks = out.emit({ op: "reshape" }, [head], withAxis(shape, axis, count, block));
    const blockTotals = out.emit({ op: "sum", axes: [axis + 1] }, [blocks], withAxis(shape, axis, count, 1));
    const partials = out.emit({ op: "reshape" }, [blockTotals], withAxis(shape, axis, count));
    total = sumAxis(out, partials, axis, maxTerms);
  }
  if (whole === length) return total;
  const tail = out.emit({ op: "slice", begin: withAxis(begin, axis, whole) }, [x], withAxis(shape, axis, length - whole));
  return out.emit({ op: "add" }, [total, sumAxis(out, tail, axis, maxTerms)], withAxis(shape, axis, 1));
}

/**
 * Rewrites every sum of more than `maxTerms` terms (over all its axes together) in the chosen
 * dtypes into sums of at most `maxTerms` terms each: one axis at a time, and an axis longer than
 * `maxTerms` in blocks, recursively. Returns the program itself when no sum is that long.
 */
export function splitLongSums(program: Program, options: SplitLongSumsOptions = {}): Program {
  const maxTerms = options.maxTerms ?? LONG_SUM_TERMS;
  if (!Number.isInteger(maxTerms) || maxTerms < 2) throw new UnfoldError("splitLongSums", `maxTerms must be an integer of at least 2, got ${String(maxTerms)}`);
  const dtypes = options.dtypes ?? ["float32"];
  const source = program.nodes;
  if (!source.some((n) => isLong(n, source, maxTerms, dtypes))) return program;

  const out = new Emitter();
  const map = new Int32Array(source.length);
  for (const node of source) {
    const inputs = node.inputs.map((i) => map[i]!);
    if (!isLong(node, source, maxTerms, dtypes)) {
      map[node.id] = out.keep(node, inputs);
      continue;
    }
    out.replacing(node);
    // The axes are kept (as size 1), so summing them one at a time leaves the others' numbers as they are.
    let value = inputs[0]!;
    for (const axis of [...node.axes].sort((a, b) => b - a)) value = sumAxis(out, value, axis, maxTerms);
    out.label(value, node.label);
    map[node.id] = value;
  }
  return { nodes: out.nodes, feeds: feedsOf(out.nodes), outputs: program.outputs.map((o) => ({ name: o.name, id: map[o.id]! })) };
}
