import type { DType } from "../dtype.js";
import { BINARY_OPS, type Node, type NodeSpec, UNARY_OPS } from "../ir/node.js";
import { type Program, feedsOf } from "../ir/program.js";
import { type Shape, broadcastShapes, sameShape } from "../shape.js";

/**
 * Moving broadcasts toward the values that consume them. Reverse-mode autodiff broadcasts
 * cotangents to the shapes of the values they flow into (a sum's rule broadcasts its scalar
 * cotangent to the summed tensor), so a gradient is full of broadcasts of small values to the
 * traced shape. Every op here commutes with a broadcast of its operand: op(broadcast(y)) equals
 * broadcast(op(y')) with y' the part of y the op needs. Rewritten that way, the op runs on the
 * small value, an elementwise consumer absorbs the broadcast into its implicit (NumPy)
 * broadcasting, and no value is left with a size that came only from the traced shape, such as
 * a batch axis that an exported model must keep symbolic.
 */

const UNARY: ReadonlySet<string> = new Set<string>([...UNARY_OPS, "cast"]);
const BINARY: ReadonlySet<string> = new Set<string>(BINARY_OPS);

/** `shape` with ones in front, to `rank` axes (the way implicit broadcasting aligns it). */
const padded = (shape: Shape, rank: number): number[] => [...new Array<number>(Math.max(rank - shape.length, 0)).fill(1), ...shape];

/** The new program's nodes, numbered by position; every node that replaces one keeps its tags. */
class Emitter {
  readonly nodes: Node[] = [];

  node(id: number): Node {
    return this.nodes[id]!;
  }

  keep(node: Node, inputs: readonly number[]): number {
    const id = this.nodes.length;
    this.nodes.push({ ...node, id, inputs } as Node);
    return id;
  }

  /** A node computing part of `from`: its dtype (unless given), composite and origin, no label. */
  emit(from: Node, spec: NodeSpec, inputs: readonly number[], shape: Shape, dtype: DType = from.dtype): number {
    const id = this.nodes.length;
    const tags = { ...(from.composite !== undefined ? { composite: from.composite } : {}), ...(from.origin !== undefined ? { origin: from.origin } : {}) };
    this.nodes.push({ ...spec, id, inputs: [...inputs], shape: [...shape], dtype, ...tags } as Node);
    return id;
  }

  /** `value` broadcast to `from`'s shape, as the node that replaces `from` (its label included). */
  finish(from: Node, value: number): number {
    const result = sameShape(this.node(value).shape, from.shape) ? value : this.emit(from, { op: "broadcast" }, [value], from.shape);
    if (from.label !== undefined) this.nodes[result] = { ...this.nodes[result]!, label: from.label };
    return result;
  }

  /** `value` with its shape written with `rank` axes (a reshape only when its rank differs). */
  ranked(from: Node, value: number, rank: number): number {
    const shape = this.node(value).shape;
    return shape.length === rank ? value : this.emit(from, { op: "reshape" }, [value], padded(shape, rank));
  }

  /** `value` broadcast to `shape` (no node when it has that shape already). */
  broadcast(from: Node, value: number, shape: Shape): number {
    return sameShape(this.node(value).shape, shape) ? value : this.emit(from, { op: "broadcast" }, [value], shape);
  }
}

/** The value a broadcast node broadcasts, or undefined when `node` is no broadcast. */
function source(out: Emitter, id: number): number | undefined {
  const node = out.node(id);
  return node.op === "broadcast" ? node.inputs[0] : undefined;
}

/**
 * Rewrites `node` (inputs already renumbered) with its broadcast operands moved past it; returns
 * the id of the value replacing it, or undefined when no rule applies.
 */
function sink(out: Emitter, node: Node, inputs: readonly number[]): number | undefined {
  const sources = inputs.map((i) => source(out, i));
  if (sources.every((s) => s === undefined)) return undefined;
  const shapeOf = (id: number): Shape => out.node(id).shape;
  const { op } = node;
  if (op === "broadcast") return out.finish(node, sources[0]!);
  if (UNARY.has(op)) {
    const y = sources[0]!;
    const spec = node.op === "cast" ? { op: "cast" as const, to: node.to } : ({ op } as NodeSpec);
    return out.finish(node, out.emit(node, spec, [y], shapeOf(y)));
  }
  if (BINARY.has(op)) {
    const [a, b] = inputs.map((i, k) => sources[k] ?? i) as [number, number];
    const shape = broadcastShapes(op, shapeOf(a), shapeOf(b));
    return out.finish(node, out.emit(node, { op } as NodeSpec, [a, b], shape));
  }
  const x = inputs[0]!;
  const y = sources[0];
  switch (node.op) {
    case "matmul":
      return sinkMatmul(out, node, inputs as [number, number], sources);
    case "reshape":
      return y === undefined ? undefined : sinkReshape(out, node, y, shapeOf(x));
    case "transpose": {
      if (y === undefined) return undefined;
      const yr = out.ranked(node, y, node.shape.length);
      const moved = node.perm.map((p) => shapeOf(yr)[p]!);
      return out.finish(node, out.emit(node, { op: "transpose", perm: node.perm }, [yr], moved));
    }
    case "slice": {
      if (y === undefined) return undefined;
      const yr = out.ranked(node, y, node.shape.length);
      const ys = shapeOf(yr);
      // Broadcast axes are read at offset 0 whatever the slice; the others are sliced as before.
      const size = node.shape.map((d, i) => (ys[i] === 1 ? 1 : d));
      const begin = node.begin.map((b, i) => (ys[i] === 1 ? 0 : b));
      const sliced = sameShape(size, ys) ? yr : out.emit(node, { op: "slice", begin }, [yr], size);
      return out.finish(node, sliced);
    }
    case "sum":
    case "reduceMax": {
      const full = shapeOf(x);
      // Over an empty axis the reduction has no terms, whatever was broadcast.
      if (y === undefined || node.axes.some((a) => full[a] === 0)) return undefined;
      const yr = out.ranked(node, y, node.shape.length);
      const ys = shapeOf(yr);
      const kept = node.axes.filter((a) => ys[a] !== 1);
      const reduced = kept.length === 0 ? yr : out.emit(node, { op: node.op, axes: kept }, [yr], ys.map((d, i) => (kept.includes(i) ? 1 : d)));
      // A sum over an axis the value was broadcast along adds the same number that many times.
      const copies = node.op === "sum" ? node.axes.reduce((n, a) => (ys[a] === 1 ? n * full[a]! : n), 1) : 1;
      if (copies === 1) return out.finish(node, reduced);
      const value = Float64Array.of(node.dtype === "float32" ? Math.fround(copies) : copies);
      const count = out.emit(node, { op: "constant", value }, [], []);
      return out.finish(node, out.emit(node, { op: "mul" }, [reduced, count], shapeOf(reduced)));
    }
    default:
      return undefined;
  }
}

/**
 * matmul with a broadcast operand: the broadcast is needed only along the contracted axis (k);
 * along batch axes and the row (or column) axis the product is as constant as the operand.
 */
function sinkMatmul(out: Emitter, node: Node, inputs: readonly [number, number], sources: readonly (number | undefined)[]): number | undefined {
  const narrow = (k: 0 | 1): number => {
    const y = sources[k];
    if (y === undefined) return inputs[k];
    const full = out.node(inputs[k]).shape;
    const yr = out.ranked(node, y, full.length);
    const contracted = k === 0 ? full.length - 1 : full.length - 2;
    const shape = out.node(yr).shape.map((d, i) => (i === contracted ? full[i]! : d));
    return sameShape(shape, full) ? inputs[k] : out.broadcast(node, yr, shape);
  };
  const a = narrow(0);
  const b = narrow(1);
  if (a === inputs[0] && b === inputs[1]) return undefined;
  const as = out.node(a).shape;
  const bs = out.node(b).shape;
  const batch = broadcastShapes("matmul", as.slice(0, -2), bs.slice(0, -2));
  return out.finish(node, out.emit(node, { op: "matmul" }, [a, b], [...batch, as.at(-2)!, bs.at(-1)!]));
}

/**
 * reshape(broadcast(y, S), R): the leading axes S and R share are left alone by the reshape, so
 * y keeps them as they are (broadcast or not); the rest must be either wholly y's own (then y's
 * part is reshaped) or wholly broadcast (then y has ones there).
 */
function sinkReshape(out: Emitter, node: Node, y: number, broadcastShape: Shape): number | undefined {
  const target = node.shape;
  const ys = padded(out.node(y).shape, broadcastShape.length);
  let prefix = 0;
  while (prefix < broadcastShape.length && prefix < target.length && broadcastShape[prefix] === target[prefix]) prefix++;
  const rest = broadcastShape.slice(prefix);
  const own = ys.slice(prefix);
  let tail: number[];
  if (sameShape(own, rest)) tail = target.slice(prefix);
  else if (own.every((d) => d === 1)) tail = target.slice(prefix).map(() => 1);
  else return undefined;
  const shape = [...ys.slice(0, prefix), ...tail];
  const reshaped = sameShape(out.node(y).shape, shape) ? y : out.emit(node, { op: "reshape" }, [y], shape);
  return out.finish(node, reshaped);
}

/** Moves every broadcast past the ops that consume it, where the ops commute with it. */
export function sinkBroadcasts(program: Program): Program {
  const outNodes = new Emitter();
  const map = new Int32Array(program.nodes.length);
  for (const node of program.nodes) {
    const inputs = node.inputs.map((i) => map[i]!);
    map[node.id] = sink(outNodes, node, inputs) ?? outNodes.keep(node, inputs);
  }
  const nodes = outNodes.nodes;
  return { nodes, feeds: feedsOf(nodes), outputs: program.outputs.map((o) => ({ name: o.name, id: map[o.id]! })) };
}
