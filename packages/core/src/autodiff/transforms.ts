import { ShapeError, UnfoldError, describe } from "../errors.js";
import type { Program } from "../ir/program.js";
import type { Tensor } from "../trace/graph.js";
import { Graph } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { inline } from "../trace/trace.js";
import { gradients } from "./gradients.js";

type Fn = (...args: Tensor[]) => Tensor;

function scalar(op: string, y: Tensor): Tensor {
  if (y.size !== 1) throw new ShapeError(op, `the function must return a scalar, got ${describe(y.label, y.shape)}`);
  return y;
}

/** The gradient of a scalar function with respect to its first argument. */
export function grad(f: Fn): (...args: Tensor[]) => Tensor {
  return (...args) => gradients(scalar("grad", f(...args)), [args[0]!])[0]!;
}

/**
 * Like `grad`, but the returned function gives `{ value, grads }`: f's value, which must have one
 * element, and its gradients with respect to the arguments at positions `argnums` ([0] by default).
 */
export function valueAndGrad(f: Fn, argnums: readonly number[] = [0]): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...args) => {
    const value = scalar("valueAndGrad", f(...args));
    return { value, grads: gradients(value, argnums.map((i) => args[i]!)) };
  };
}

/** Evaluates f and returns a pullback mapping an output cotangent to argument cotangents. */
export function vjp(
  f: Fn,
  ...primals: Tensor[]
): {
  /** f(...primals). */
  out: Tensor;
  /** Maps a cotangent of `out` (of out's shape) to one cotangent per primal, in their order, traced into the same graph. */
  pullback: (cotangent: Tensor) => Tensor[];
} {
  const out = f(...primals);
  return { out, pullback: (ct) => gradients(out, primals, ct) };
}

/** Hessian-vector product H(x) v of a scalar function, by differentiating <grad f(x), v>. */
export function hvp(f: Fn): (x: Tensor, v: Tensor, ...rest: Tensor[]) => Tensor {
  return (x, v, ...rest) => {
    const g = gradients(scalar("hvp", f(x, ...rest)), [x])[0]!;
    return gradients(ops.sum(ops.mul(g, v)), [x])[0]!;
  };
}

/** Dense Jacobian, shape [...f(x).shape, ...x.shape]: one pullback per output element, for small cases. */
export function jacobian(f: Fn): (x: Tensor, ...rest: Tensor[]) => Tensor {
  return (x, ...rest) => {
    const y = f(x, ...rest);
    const rows: Tensor[] = [];
    for (let k = 0; k < y.size; k++) {
      const basis = new Float64Array(y.size);
      basis[k] = 1;
      const seed = y.graph.constant(basis, y.shape, y.dtype);
      rows.push(ops.reshape(gradients(y, [x], seed)[0]!, [1, x.size]));
    }
    // An empty output has an empty Jacobian (and there are no rows to concatenate).
    if (rows.length === 0) return ops.zeros(x, [...y.shape, ...x.shape]);
    return ops.reshape(ops.concat(rows, 0), [...y.shape, ...x.shape]);
  };
}

/** Dense Hessian of a scalar function, shape [...x.shape, ...x.shape]. */
export function hessian(f: Fn): (x: Tensor, ...rest: Tensor[]) => Tensor {
  return jacobian(grad(f));
}

/** Which output `differentiate` differentiates, with respect to which feeds, and how it names the gradient outputs. */
export interface DifferentiateOptions {
  /** The scalar output to differentiate. */
  readonly of: string;
  /** Feeds (inputs or parameters) to differentiate with respect to; all parameters by default. */
  readonly wrt?: readonly string[];
  /** Output name for each gradient; `grad_<name>` by default. */
  readonly name?: (feed: string) => string;
}

/** A program computing the original outputs and the gradients of one of them. */
export function differentiate(program: Program, options: DifferentiateOptions): Program {
  const graph = new Graph();
  const leaves: Record<string, Tensor> = {};
  for (const f of program.feeds) leaves[f.name] = graph.leaf(f.kind, f.name, f.shape, f.dtype);
  const outs = inline(graph, program, leaves);
  const y = outs[options.of];
  if (!y) throw new UnfoldError("differentiate", `program has no output '${options.of}' (outputs: ${Object.keys(outs).join(", ")})`);
  const wrt = options.wrt ?? program.feeds.filter((f) => f.kind === "param").map((f) => f.name);
  for (const w of wrt) if (!leaves[w]) throw new UnfoldError("differentiate", `program has no feed '${w}'`);
  const grads = gradients(scalar("differentiate", y), wrt.map((w) => leaves[w]!));
  const naming = options.name ?? ((n: string) => `grad_${n}`);
  const result: Record<string, Tensor> = { ...outs };
  wrt.forEach((w, i) => (result[naming(w)] = grads[i]!));
  return graph.toProgram(result);
}
