import { type Node, type Program, UnfoldError, findComposites, neededNodes } from "@unfold/core";
import type { GraphBuilder } from "../model/graph-builder.js";
import type { LowerContext } from "./context.js";
import { lowerBinary, lowerCast, lowerUnary } from "./elementwise.js";
import { lowerFused } from "./fused.js";
import { lowerGather, lowerScatterAdd } from "./gather.js";
import { lowerBroadcast, lowerConcat, lowerReshape, lowerSlice, lowerTranspose } from "./layout.js";
import { lowerMatmul } from "./matmul.js";
import { lowerReduction } from "./reduce.js";

/** Where the program's leaves come from in the graph. */
export interface LeafValues {
  /** The ONNX value of each feed (a graph input or an initializer), by feed name. */
  readonly feeds: ReadonlyMap<string, string>;
  /** Per node: whether its leading axis is the symbolic batch axis. */
  readonly batched: Uint8Array;
  /** A graph input carrying the symbolic batch axis, when there is one. */
  readonly batchInput?: string;
}

/** One primitive node to ONNX ops; returns the ONNX value holding the node's result. */
function lowerNode(ctx: LowerContext, node: Node): string {
  switch (node.op) {
    case "input":
    case "param":
    case "constant":
      throw new UnfoldError(node.op, "leaves are bound before lowering");
    case "neg":
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
    case "abs":
    case "sign":
    case "stopGradient":
      return lowerUnary(ctx, node);
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "max":
    case "min":
    case "pow":
    case "greater":
    case "greaterEqual":
    case "equal":
      return lowerBinary(ctx, node);
    case "cast":
      return lowerCast(ctx, node);
    case "sum":
    case "reduceMax":
      return lowerReduction(ctx, node);
    case "matmul":
      return lowerMatmul(ctx, node);
    case "reshape":
      return lowerReshape(ctx, node);
    case "broadcast":
      return lowerBroadcast(ctx, node);
    case "transpose":
      return lowerTranspose(ctx, node);
    case "slice":
      return lowerSlice(ctx, node);
    case "concat":
      return lowerConcat(ctx, node);
    case "gather":
      return lowerGather(ctx, node);
    case "scatterAdd":
      return lowerScatterAdd(ctx, node);
    default: {
      // A primitive added to core without a rule here must fail loudly, never export a wrong graph.
      const op = (node as Node).op;
      throw new UnfoldError(op, `has no ONNX lowering in @unfold/backend-onnx (node %${(node as Node).id})`);
    }
  }
}

/**
 * Lowers every node the outputs need, in program order, into `graph`; returns the ONNX value of
 * each node (by id). Recognised composites become one native op each.
 */
export function lowerProgram(program: Program, graph: GraphBuilder, leaves: LeafValues): Map<number, string> {
  const values = new Map<number, string>();
  let batchSize: string | undefined;
  const ctx: LowerContext = {
    graph,
    nodes: program.nodes,
    value: (id) => {
      const v = values.get(id);
      if (v === undefined) throw new UnfoldError("onnx export", `value %${id} used before it was lowered`);
      return v;
    },
    batched: (id) => leaves.batched[id] === 1,
    batchSize: () => {
      if (leaves.batchInput === undefined) throw new UnfoldError("onnx export", "the runtime batch size is needed, but no input carries a batch axis");
      batchSize ??= graph.op("Shape", [leaves.batchInput], { start: { int: 0 }, end: { int: 1 } });
      return batchSize;
    },
  };
  const fused = findComposites(program);
  const needed = neededNodes(program, fused);
  for (const node of program.nodes) {
    if (!needed[node.id] || values.has(node.id)) continue;
    if (node.op === "input" || node.op === "param") {
      values.set(node.id, leaves.feeds.get(node.name)!);
      continue;
    }
    if (node.op === "constant") {
      values.set(node.id, graph.floats(node.dtype, node.shape, node.value));
      continue;
    }
    const f = fused.get(node.id);
    let value = f ? lowerFused(ctx, f, node) : undefined;
    if (value === undefined && f) {
      // No native op for this instance: lower its inner nodes after all (they were skipped).
      value = lowerUnfused(ctx, program, node.id, values);
    }
    values.set(node.id, value ?? lowerNode(ctx, node));
  }
  return values;
}

/** Lowers the inner nodes of a composite the fused path declined, on demand and in order. */
function lowerUnfused(ctx: LowerContext, program: Program, root: number, values: Map<number, string>): string {
  const visit = (id: number): void => {
    if (values.has(id)) return;
    const node = program.nodes[id]!;
    node.inputs.forEach(visit);
    if (node.op === "constant") values.set(id, ctx.graph.floats(node.dtype, node.shape, node.value));
    else if (node.op === "input" || node.op === "param") throw new UnfoldError("onnx export", `feed '${node.name}' was not bound`);
    else values.set(id, lowerNode(ctx, node));
  };
  program.nodes[root]!.inputs.forEach(visit);
  return lowerNode(ctx, program.nodes[root]!);
}
