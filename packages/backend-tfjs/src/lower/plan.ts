import { BINARY_OPS, familyLowering, findComposites, type LoweringTable, lowerNode, type Node, neededNodes, type Program, UNARY_OPS } from "@unfold/core";
import { binaryKernel, castKernel, unaryKernel } from "./elementwise.js";
import { TFJS_COMPOSITES, fusedKernel } from "./fused.js";
import { gatherKernel, scatterAddKernel } from "./gather.js";
import type { Kernel } from "./kernel.js";
import { broadcastKernel, concatKernel, reshapeKernel, sliceKernel, transposeKernel } from "./layout.js";
import { type MatmulLowering, matmulKernel } from "./matmul.js";
import { reductionKernel } from "./reduce.js";

/** One computed value of a plan: which node, from which values, by which kernel. */
export interface PlanStep {
  readonly id: number;
  readonly inputs: readonly number[];
  readonly kernel: Kernel;
}

/** A program as TensorFlow.js work: leaves to bind, constants to upload once, steps in order. */
export interface TfjsPlan {
  readonly program: Program;
  /** Feed name -> node id, for the feeds some step or output reads. */
  readonly feeds: ReadonlyMap<string, number>;
  /** Constant node ids the plan reads. */
  readonly constants: readonly number[];
  readonly steps: readonly PlanStep[];
}

/** Engine-dependent choices of the lowering (the default suits every engine). */
export interface PlanOptions {
  readonly matmul?: MatmulLowering;
}

/** What a kernel is made from besides its node: the program's nodes and the engine's choices. */
export interface KernelContext {
  readonly nodes: readonly Node[];
  readonly options: PlanOptions;
}

/** One kernel maker per computed op: a primitive added to core is a compile error here until it has one. */
export const kernelTable: LoweringTable<Kernel, KernelContext> = {
  ...familyLowering(UNARY_OPS, (node) => unaryKernel(node)),
  ...familyLowering(BINARY_OPS, (node) => binaryKernel(node)),
  cast: () => castKernel(),
  sum: (node) => reductionKernel(node),
  reduceMax: (node) => reductionKernel(node),
  matmul: (node, { nodes, options }) => matmulKernel(node, nodes, options.matmul),
  reshape: (node) => reshapeKernel(node),
  broadcast: (node) => broadcastKernel(node),
  transpose: (node) => transposeKernel(node),
  slice: (node) => sliceKernel(node),
  concat: (node) => concatKernel(node),
  gather: (node) => gatherKernel(node),
  scatterAdd: (node, { nodes }) => scatterAddKernel(node, nodes),
};

/**
 * Lowers an (optimized) program: every node the outputs need, in program order; a recognised
 * composite becomes one native op, unless none fits, when its inner nodes run instead.
 */
export function planProgram(program: Program, options: PlanOptions = {}): TfjsPlan {
  const nodes = program.nodes;
  const fused = findComposites(program, TFJS_COMPOSITES);
  const needed = neededNodes(program, fused);
  const planned = new Set<number>();
  const feeds = new Map<string, number>();
  const constants: number[] = [];
  const steps: PlanStep[] = [];
  const add = (node: Node): void => {
    if (planned.has(node.id)) return;
    planned.add(node.id);
    if (node.op === "input" || node.op === "param") feeds.set(node.name, node.id);
    else if (node.op === "constant") constants.push(node.id);
    else {
      const f = fused.get(node.id);
      const native = f ? fusedKernel(f, node) : undefined;
      if (f && native) {
        steps.push({ id: node.id, inputs: [f.input], kernel: native });
        return;
      }
      // Inner nodes of a declined composite were not marked needed: plan them now.
      for (const i of node.inputs) add(nodes[i]!);
      steps.push({ id: node.id, inputs: node.inputs, kernel: lowerNode(kernelTable, node, { nodes, options }, "@unfold/backend-tfjs") });
    }
  };
  for (const node of nodes) if (needed[node.id]) add(node);
  return { program, feeds, constants, steps };
}
