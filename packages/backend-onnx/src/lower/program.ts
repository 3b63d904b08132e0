import { BINARY_OPS, familyLowering, findComposites, type LoweringTable, lowerNode as lowerByTable, type Node, neededNodes, type Program, UNARY_OPS, UnfoldError } from "@unfold/core";
import type { GraphBuilder } from "../model/graph-builder.js";
import type { LowerContext } from "./context.js";
import { lowerBinary, lowerCast, lowerUnary } from "./elementwise.js";
import { ONNX_COMPOSITES, lowerFused } from "./fused.js";
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

/** One lowering rule per computed op: a primitive added to core is a compile error here until it has one. */
export const onnxLowering: LoweringTable<string, LowerContext> = {
  ...familyLowering(UNARY_OPS, (node, ctx) => lowerUnary(ctx, node)),
  ...familyLowering(BINARY_OPS, (node, ctx) => lowerBinary(ctx, node)),
  cast: (node, ctx) => lowerCast(ctx, node),
  sum: (node, ctx) => lowerReduction(ctx, node),
  reduceMax: (node, ctx) => lowerReduction(ctx, node),
  matmul: (node, ctx) => lowerMatmul(ctx, node),
  reshape: (node, ctx) => lowerReshape(ctx, node),
  broadcast: (node, ctx) => lowerBroadcast(ctx, node),
  transpose: (node, ctx) => lowerTranspose(ctx, node),
  slice: (node, ctx) => lowerSlice(ctx, node),
  concat: (node, ctx) => lowerConcat(ctx, node),
  gather: (node, ctx) => lowerGather(ctx, node),
  scatterAdd: (node, ctx) => lowerScatterAdd(ctx, node),
};

/** One primitive node to ONNX ops; returns the ONNX value holding the node's result. */
function lowerNode(ctx: LowerContext, node: Node): string {
  return lowerByTable(onnxLowering, node, ctx, "@unfold/backend-onnx");
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
  const fused = findComposites(program, ONNX_COMPOSITES);
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
