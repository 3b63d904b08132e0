import type { DType } from "../dtype.js";
import { UnfoldError } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph, Tensor } from "./graph.js";
import { requireFunction, requireOneOf, requireRecord } from "../validate.js";

const LEAF_KINDS = ["input", "param"] as const;

/** Declares one leaf of a traced function: its shape, dtype, and whether it is a parameter. */
export interface LeafSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
  readonly kind?: "input" | "param";
}

/** Declares a data leaf (fed at each run) of a traced function. */
export const input = (shape: Shape, dtype: DType = "float64"): LeafSpec => ({ shape, dtype, kind: "input" });
/** Declares a parameter leaf (a weight, fed or baked in) of a traced function. */
export const param = (shape: Shape, dtype: DType = "float64"): LeafSpec => ({ shape, dtype, kind: "param" });

/** The tensors a traced function receives: one per declared leaf, by name. */
export type Leaves<S extends Record<string, LeafSpec>> = { readonly [K in keyof S]: Tensor };
/** What a traced function returns: one tensor (the output `out`) or named tensors. */
export type Outputs = Tensor | Readonly<Record<string, Tensor>>;

/**
 * Traces a plain TypeScript function into a program. The function receives symbolic tensors,
 * one per declared leaf, and returns a tensor (output "out") or a record of named tensors.
 */
export function trace<S extends Record<string, LeafSpec>>(leaves: S, fn: (x: Leaves<S>, graph: Graph) => Outputs): Program {
  requireRecord("trace", "leaves", leaves);
  requireFunction("trace", "the traced function", fn);
  const graph = new Graph();
  const args: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(leaves)) {
    requireRecord("trace", `leaf '${name}'`, spec);
    const kind = spec.kind === undefined ? "input" : requireOneOf("trace", `the kind of leaf '${name}'`, spec.kind, LEAF_KINDS);
    args[name] = graph.leaf(kind, name, spec.shape, spec.dtype ?? "float64");
  }
  const result = fn(args as Leaves<S>, graph);
  const outputs = result instanceof Tensor ? { out: result } : result;
  if (typeof outputs !== "object" || outputs === null || Object.keys(outputs).length === 0) {
    throw new UnfoldError("trace", "the traced function must return a Tensor or a non-empty record of Tensors");
  }
  return graph.toProgram(outputs);
}

/**
 * Replays a program's nodes into another graph, with its leaves bound to the given tensors.
 * This is how program-level transforms (gradients of a whole program) are built.
 */
export function inline(graph: Graph, program: Program, bind: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const map = new Map<number, Tensor>();
  for (const node of program.nodes) {
    if (node.op === "input" || node.op === "param") {
      const bound = bind[node.name];
      if (!bound) throw new UnfoldError("inline", `no tensor bound for leaf '${node.name}'`);
      map.set(node.id, bound);
    } else if (node.op === "constant") {
      map.set(node.id, graph.constant(node.value, node.shape, node.dtype));
    } else {
      const { id: _id, inputs, shape, dtype: _dtype, label, composite, ...spec } = node;
      const args = inputs.map((i) => map.get(i)!);
      const emit = (): Tensor => graph.emit(spec, args, shape, label);
      map.set(node.id, composite ? graph.composite(composite, emit) : emit());
    }
  }
  return Object.fromEntries(program.outputs.map((o) => [o.name, map.get(o.id)!]));
}
