import { type DType, Graph, type Program, type Tensor, UnfoldError, gradients, ops } from "@unfold/core";
import { layoutOf, type CurvatureModel } from "./model.js";

/**
 * hessian: H v. ggn: the Gauss-Newton product J^T (d2l/dz2) J v (the outer-product part H_o).
 * functional: the rest, H_f v = (H - GGN) v, computed directly (not as a difference, so a part
 * that is exactly zero comes out exactly zero).
 */
export const PRODUCT_KINDS = ["hessian", "ggn", "functional"] as const;
/** Which curvature product: the Hessian, the Gauss-Newton matrix or the functional part. */
export type ProductKind = (typeof PRODUCT_KINDS)[number];

export function checkProductKind(op: string, kind: string): ProductKind {
  if (!(PRODUCT_KINDS as readonly string[]).includes(kind)) throw new UnfoldError(op, `unknown product '${kind}' (products: ${PRODUCT_KINDS.join(", ")})`);
  return kind as ProductKind;
}

/**
 * One program with feeds `theta` [n], `vector` [n] and the model's inputs, and one output per
 * requested kind (named by the kind), each [n]. Everything is derived by the core's reverse mode:
 * a Hessian-vector product differentiates <grad l, v>; J v is the derivative in u of the linear
 * map u -> J^T u (the transpose trick), which reverse mode alone provides.
 */
export function productProgram(model: CurvatureModel, kinds: readonly ProductKind[], dtype: DType = "float64"): Program {
  if (kinds.length === 0) throw new UnfoldError("productProgram", "ask for at least one product");
  for (const k of kinds) checkProductKind("productProgram", k);
  const layout = layoutOf(model);
  const graph = new Graph();
  const theta = graph.leaf("input", "theta", [layout.size], dtype);
  const vector = graph.leaf("input", "vector", [layout.size], dtype);
  const inputs: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(model.inputs)) {
    if (name === "theta" || name === "vector") throw new UnfoldError("productProgram", `model input '${name}' clashes with a feed of the product program`);
    inputs[name] = graph.leaf("input", name, shape, dtype);
  }
  const z = model.output(layout.unpack(theta), inputs);
  const loss = model.loss(z, inputs);
  if (loss.size !== 1) throw new UnfoldError("productProgram", `model '${model.name}' must return a scalar loss, got shape [${loss.shape.join(", ")}]`);
  const hvpOf = (scalar: Tensor): Tensor => {
    const g = gradients(scalar, [theta])[0]!;
    return gradients(ops.sum(ops.mul(g, vector)), [theta])[0]!;
  };
  const outputs: Record<string, Tensor> = {};
  const lossGradient = (): Tensor => gradients(loss, [z])[0]!;
  for (const kind of kinds) {
    if (kind === "hessian") outputs[kind] = hvpOf(loss);
    else if (kind === "functional") {
      // H_f = sum_k (dl/dz_k) d2z_k/dtheta2: the Hessian of <dl/dz, z> with dl/dz held fixed.
      outputs[kind] = hvpOf(ops.sum(ops.mul(ops.stopGradient(lossGradient()), z)));
    } else {
      const u = graph.constant(0, z.shape, dtype);
      const jtu = gradients(z, [theta], u)[0]!;
      const jv = ops.stopGradient(gradients(ops.sum(ops.mul(jtu, vector)), [u])[0]!);
      const lambdaJv = gradients(ops.sum(ops.mul(lossGradient(), jv)), [z])[0]!;
      outputs[kind] = gradients(z, [theta], lambdaJv)[0]!;
    }
  }
  return graph.toProgram(outputs);
}

/** theta and the model's inputs -> loss and its gradient in theta. */
export function lossProgram(model: CurvatureModel, dtype: DType = "float64"): Program {
  const layout = layoutOf(model);
  const graph = new Graph();
  const theta = graph.leaf("input", "theta", [layout.size], dtype);
  const inputs: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(model.inputs)) inputs[name] = graph.leaf("input", name, shape, dtype);
  const loss = model.loss(model.output(layout.unpack(theta), inputs), inputs);
  return graph.toProgram({ loss, gradient: gradients(loss, [theta])[0]! });
}
