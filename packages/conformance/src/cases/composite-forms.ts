import { type CompositeKind, type DType, type Random, type Tensor, crossEntropy, layerNorm, logSoftmax, logsumexp, ops, sigmoid, sizeOf, softmax } from "@unfold/core";
import { type BuiltProgram, type ConformanceCase, programCase, traced } from "../case.js";
import { type LeafData, leaf, normals, uniforms } from "../generate.js";

/**
 * Each composite as core traces it (canonical), and variants whose decomposition differs: the
 * same tracing tag over other math, as a changed decomposition would leave it. Every backend must
 * compute each right (the `composites` group); a backend that reports what it fused must fuse
 * every canonical form it claims, and no variant as its kind (conformanceSuite's fusion probe).
 */

/** Canonical: core's own trace. Variant: the tag over a changed decomposition. Shared: canonical, with an inner node also read outside (fusing is optional). */
export type CompositeFormRole = "canonical" | "variant" | "shared";

/** One program of the composite family. */
export interface CompositeForm {
  readonly name: string;
  /** The composite the program is (or imitates). */
  readonly kind: CompositeKind;
  readonly role: CompositeFormRole;
  /** The program in `dtype`, with feeds drawn from `rng`. */
  build(dtype: DType, rng: Random): BuiltProgram;
}

const tagged = (x: Tensor, tag: CompositeKind, build: () => Tensor): Tensor => x.graph.composite(tag, build);

/** One input x of `shape`, normal with the given scale, and y = f(x). */
function unary(name: string, kind: CompositeKind, role: CompositeFormRole, shape: number[], scale: number, f: (x: Tensor) => Tensor): CompositeForm {
  return { name, kind, role, build: (dtype, rng) => traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape), scale)) }, ({ x }) => ({ y: f(x) })) };
}

/**
 * softmax(Z W^T - bias) over the last axis, Z [2, 3, 6, 4] and W = Z (or another tensor): the
 * bias |z_j|^2 / 2 of Z, or a tensor of `shape`.
 */
function attention(name: string, role: CompositeFormRole, bias: number[] | "yang", other = false): CompositeForm {
  const z = [2, 3, 6, 4];
  const shape = bias === "yang" ? [] : bias;
  return {
    name,
    kind: "yangAttention",
    role,
    build: (dtype, rng) => {
      const leaves: Record<string, LeafData> = { z: leaf(z, normals(rng, sizeOf(z), 0.6)) };
      if (other) leaves.w = leaf(z, normals(rng, sizeOf(z), 0.6));
      if (bias !== "yang") leaves.b = leaf(shape, normals(rng, sizeOf(shape)));
      return traced(dtype, leaves, (x) => {
        const subtracted = bias === "yang" ? ops.mul(ops.swapLastAxes(ops.sum(ops.mul(x.z!, x.z!), -1, true)), 0.5) : x.b!;
        return { y: softmax(ops.sub(ops.matmul(x.z!, ops.swapLastAxes(other ? x.w! : x.z!)), subtracted), -1) };
      });
    },
  };
}

/** Every form of every composite. */
export function compositeForms(): CompositeForm[] {
  return [
    unary("softmax over the last axis", "softmax", "canonical", [4, 37], 3, (x) => softmax(x, -1)),
    unary("softmax without the max shift", "softmax", "variant", [4, 37], 3, (x) => tagged(x, "softmax", () => ops.div(ops.exp(x), ops.sum(ops.exp(x), -1, true)))),
    unary("softmax shifted by the max over the other axis", "softmax", "variant", [4, 37], 3, (x) =>
      tagged(x, "softmax", () => {
        const e = ops.exp(ops.sub(x, ops.stopGradient(ops.max(x, 0, true))));
        return ops.div(e, ops.sum(e, -1, true));
      }),
    ),
    {
      name: "softmax whose max is also an output",
      kind: "softmax",
      role: "shared",
      build: (dtype, rng) => traced(dtype, { x: leaf([4, 37], normals(rng, 4 * 37, 3)) }, ({ x }) => ({ y: softmax(x, -1), m: ops.max(x, -1, true) })),
    },
    unary("logSoftmax over the last axis", "logSoftmax", "canonical", [4, 37], 3, (x) => logSoftmax(x, -1)),
    unary("logSoftmax of x less the logsumexp of 2x", "logSoftmax", "variant", [4, 37], 3, (x) => tagged(x, "logSoftmax", () => ops.sub(x, logsumexp(ops.mul(x, 2), -1, true)))),
    unary("logsumexp over the last axis", "logsumexp", "canonical", [4, 37], 3, (x) => logsumexp(x, -1, true)),
    unary("logsumexp with 1 added back instead of the shift", "logsumexp", "variant", [4, 37], 3, (x) =>
      tagged(x, "logsumexp", () => ops.add(ops.log(ops.sum(ops.exp(ops.sub(x, ops.stopGradient(ops.max(x, -1, true)))), -1, true)), 1)),
    ),
    unary("layerNorm over the last axis", "layerNorm", "canonical", [4, 24], 2, (x) => layerNorm(x, { eps: 1e-5 })),
    unary("layerNorm with eps added outside the square root", "layerNorm", "variant", [4, 24], 2, (x) =>
      tagged(x, "layerNorm", () => {
        const c = ops.sub(x, ops.mean(x, -1, true));
        return ops.div(c, ops.add(ops.sqrt(ops.mean(ops.mul(c, c), -1, true)), 0.5));
      }),
    ),
    {
      name: "layerNorm whose centered input is also an output",
      kind: "layerNorm",
      role: "shared",
      build: (dtype, rng) => traced(dtype, { x: leaf([4, 24], normals(rng, 4 * 24, 2)) }, ({ x }) => ({ y: layerNorm(x, { eps: 1e-5 }), c: ops.sub(x, ops.mean(x, -1, true)) })),
    },
    unary("sigmoid", "sigmoid", "canonical", [4, 17], 4, (x) => sigmoid(x)),
    unary("sigmoid as 1 / (1 + e^-x)", "sigmoid", "variant", [4, 17], 4, (x) => tagged(x, "sigmoid", () => ops.div(1, ops.add(ops.exp(ops.neg(x)), 1)))),
    {
      name: "crossEntropy over the last axis",
      kind: "crossEntropy",
      role: "canonical",
      build: (dtype, rng) => traced(dtype, { l: leaf([4, 10], normals(rng, 40, 3)), t: leaf([4, 10], uniforms(rng, 40, 0, 1)) }, ({ l, t }) => ({ y: crossEntropy(l, t) })),
    },
    {
      name: "crossEntropy of the softmax instead of its log",
      kind: "crossEntropy",
      role: "variant",
      build: (dtype, rng) =>
        traced(dtype, { l: leaf([4, 10], normals(rng, 40, 3)), t: leaf([4, 10], uniforms(rng, 40, 0, 1)) }, ({ l, t }) => ({
          y: tagged(l, "crossEntropy", () => ops.mean(ops.neg(ops.sum(ops.mul(t, softmax(l, -1)), -1)))),
        })),
    },
    unary("symmetric product Z Z^T", "symmetricProduct", "canonical", [3, 6, 5], 1, (z) => ops.matmul(z, ops.swapLastAxes(z))),
    {
      name: "product Z W^T of two tensors",
      kind: "symmetricProduct",
      role: "variant",
      build: (dtype, rng) => traced(dtype, { z: leaf([3, 6, 5], normals(rng, 90)), w: leaf([3, 6, 5], normals(rng, 90)) }, ({ z, w }) => ({ y: ops.matmul(z, ops.swapLastAxes(w)) })),
    },
    attention("Yang attention weights, the bias |z_j|^2 / 2 of the same Z", "canonical", "yang"),
    attention("Yang attention weights, one bias row per item", "canonical", [2, 3, 1, 6]),
    attention("Yang attention weights, one bias row for all items", "canonical", [1, 1, 1, 6]),
    attention("Yang attention weights with a bias row per batch, shared by heads (the wrong period)", "variant", [2, 1, 1, 6]),
    attention("Yang attention weights with a column bias", "variant", [2, 3, 6, 1]),
    attention("attention weights of Z W^T less a row bias", "variant", [2, 3, 1, 6], true),
  ];
}

/** The `composites` group's cases for the forms: each computed against the reference, whatever the backend fuses. */
export function compositeFormCases(): ConformanceCase[] {
  return compositeForms().map((form) => programCase("composites", { name: `${form.kind} form (${form.role}): ${form.name}`, build: (dtype, rng) => form.build(dtype, rng) }));
}
