import { type Node, type Program, UnfoldError, findComposites, neededNodes } from "@unfold/core";
import { elidableBroadcasts } from "./broadcasts.js";
import { binaryKernel, castKernel, unaryKernel } from "./elementwise.js";
import { fusedKernel } from "./fused.js";
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

function kernelFor(node: Node, nodes: readonly Node[], options: PlanOptions): Kernel {
  switch (node.op) {
    case "neg":
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
    case "abs":
    case "sign":
    case "stopGradient":
      return unaryKernel(node);
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
      return binaryKernel(node);
    case "cast":
      return castKernel();
    case "sum":
    case "reduceMax":
      return reductionKernel(node);
    case "matmul":
      return matmulKernel(node, nodes, options.matmul);
    case "reshape":
      return reshapeKernel(node);
    case "broadcast":
      return broadcastKernel(node);
    case "transpose":
      return transposeKernel(node);
    case "slice":
      return sliceKernel(node);
    case "concat":
      return concatKernel(node);
    case "gather":
      return gatherKernel(node);
    case "scatterAdd":
      return scatterAddKernel(node, nodes);
    default:
      // A primitive added to core without a kernel here must fail loudly at compile time.
      throw new UnfoldError((node as Node).op, `has no TensorFlow.js lowering in @unfold/backend-tfjs (node %${(node as Node).id})`);
  }
}

/**
 * Lowers an (optimized) program: every node the outputs need, in program order; a recognised
 * composite becomes one native op, unless none fits, when its inner nodes run instead.
 */
export function planProgram(program: Program, options: PlanOptions = {}): TfjsPlan {
  const nodes = program.nodes;
  const fused = findComposites(program);
  const needed = neededNodes(program, fused);
  const planned = new Set<number>();
  const feeds = new Map<string, number>();
  const constants: number[] = [];
  const steps: PlanStep[] = [];
  const unfused = new Set<number>();
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
      steps.push({ id: node.id, inputs: node.inputs, kernel: kernelFor(node, nodes, options) });
      unfused.add(node.id);
    }
  };
  for (const node of nodes) if (needed[node.id]) add(node);
  // A broadcast its readers would do anyway passes its input on instead of copying it out.
  const elided = elidableBroadcasts(program, steps, unfused);
  const passThrough: Kernel = (_tf, [x]) => x!;
  return { program, feeds, constants, steps: steps.map((s) => (elided.has(s.id) ? { ...s, kernel: passThrough } : s)) };
}
