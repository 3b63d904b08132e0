import type { Node } from "../../ir/node.js";
import { type Nodes, swapsLastTwoAxes } from "./match.js";
import type { SoftmaxComposite, SymmetricProductComposite, YangAttentionComposite } from "./record.js";

/** A symmetric product: matmul(Z, transpose(Z)), the transpose swapping Z's last two axes. */
export function matchSymmetricProduct(nodes: Nodes, product: Node): SymmetricProductComposite | undefined {
  if (product.op !== "matmul") return undefined;
  const [left, right] = [nodes[product.inputs[0]!]!, nodes[product.inputs[1]!]!];
  if (right.op !== "transpose" || right.inputs[0] !== left.id || left.shape.length < 2 || !swapsLastTwoAxes(right.perm)) return undefined;
  const [n, k] = left.shape.slice(-2) as [number, number];
  const items = left.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { kind: "symmetricProduct", root: product.id, args: [left.id], inner: [], operand: left.id, transpose: right.id, n, k, items };
}

/**
 * The Yang attention weights: a softmax over the last axis whose argument is Z Z^T less a row
 * bias, one row per item (period n) or one row for all (period n * items).
 */
export function matchYangAttention(nodes: Nodes, softmax: SoftmaxComposite): YangAttentionComposite | undefined {
  const rowBias = softmax.rowBias;
  if (!rowBias) return undefined;
  const product = matchSymmetricProduct(nodes, nodes[rowBias.logits]!);
  if (!product) return undefined;
  const { n, items } = product;
  const biasPerItem = rowBias.period === n && items > 1;
  if (!biasPerItem && rowBias.period !== n * items) return undefined;
  const yangBias = yangBiasNodes(nodes, rowBias.bias, product.operand);
  return {
    kind: "yangAttention",
    root: softmax.root,
    args: [product.operand, rowBias.bias],
    inner: [...softmax.inner, rowBias.sub, product.root],
    operand: product.operand,
    bias: rowBias.bias,
    period: rowBias.period,
    biasPerItem,
    softmax: { ...softmax, rowBias },
    product,
    ...(yangBias ? { yangBias } : {}),
  };
}

/**
 * Whether `bias` is |z_j|^2 / 2 of `operand` in the form the Yang energy's trace takes,
 * mul(transpose(sum(mul(Z, Z), last axis, kept)), 0.5) (the constant on either side): its nodes.
 */
function yangBiasNodes(nodes: Nodes, bias: number, operand: number): number[] | undefined {
  const b = nodes[bias]!;
  if (b.op !== "mul") return undefined;
  const half = b.inputs.map((i) => nodes[i]!).find((x) => x.op === "constant" && x.value.length === 1 && x.value[0] === 0.5);
  const t = b.inputs.map((i) => nodes[i]!).find((x) => x !== half);
  if (!half || !t || t.op !== "transpose" || !swapsLastTwoAxes(t.perm)) return undefined;
  const rank = t.shape.length;
  const sum = nodes[t.inputs[0]!]!;
  if (sum.op !== "sum" || sum.axes.length !== 1 || sum.axes[0] !== rank - 1 || sum.shape[rank - 1] !== 1) return undefined;
  const square = nodes[sum.inputs[0]!]!;
  if (square.op !== "mul" || square.inputs[0] !== operand || square.inputs[1] !== operand) return undefined;
  return [b.id, t.id, sum.id, square.id];
}
