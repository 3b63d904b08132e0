import type { Node } from "../ir/node.js";
import type { Program } from "../ir/program.js";

/**
 * Recognising composites (softmax, logSoftmax, logsumexp, layerNorm) in core's decomposition, for
 * backends whose engine has a native operator for them (ONNX, TensorFlow.js). A backend that
 * fuses them its own way (the CPU and WebGPU kernels) may still use this for the match itself.
 */

/**
 * A composite the program emitted in core's decomposition, recognised so that it can run as one
 * native operator. `root` is the node whose value the native operator produces; `input` is the
 * composite's argument. The inner nodes stay in the program: they are only lowered when some
 * other node still reads them (autodiff often does).
 */
export type FusedComposite =
  | { readonly kind: "softmax" | "logSoftmax"; readonly root: number; readonly input: number; readonly axis: number }
  /** Keeps the reduced axis (as size 1), as the decomposition's root does. */
  | { readonly kind: "logsumexp"; readonly root: number; readonly input: number; readonly axis: number }
  /** (x - mean) / sqrt(variance + eps) over one axis; gain and bias stay separate nodes. */
  | { readonly kind: "layerNorm"; readonly root: number; readonly input: number; readonly axis: number; readonly eps: number }
  /** Elementwise 1 / (1 + e^-x), in core's two-branch form; `axis` is unused (-1). */
  | { readonly kind: "sigmoid"; readonly root: number; readonly input: number; readonly axis: number };

type Nodes = readonly Node[];

const single = (axes: readonly number[]): number | undefined => (axes.length === 1 ? axes[0] : undefined);

/** A constant node holding one value (any shape), or undefined. */
function constantValue(node: Node | undefined): number | undefined {
  if (node?.op !== "constant" || node.value.length === 0) return undefined;
  const v = node.value[0]!;
  return node.value.every((x) => x === v) ? v : undefined;
}

/** reduceMax(x, [axis]), behind the stopGradient core's simplify may or may not have removed. */
function maxShift(nodes: Nodes, id: number): { x: number; axis: number } | undefined {
  let n = nodes[id]!;
  if (n.op === "stopGradient") n = nodes[n.inputs[0]!]!;
  if (n.op !== "reduceMax") return undefined;
  const axis = single(n.axes);
  return axis === undefined ? undefined : { x: n.inputs[0]!, axis };
}

/** div(e, sum(e, [a])) with e = exp(x - max(x, [a])). */
function matchSoftmax(nodes: Nodes, d: Node): FusedComposite | undefined {
  if (d.op !== "div") return undefined;
  const e = nodes[d.inputs[0]!]!;
  const s = nodes[d.inputs[1]!]!;
  if (e.op !== "exp" || s.op !== "sum" || s.inputs[0] !== e.id) return undefined;
  const sub = nodes[e.inputs[0]!]!;
  if (sub.op !== "sub") return undefined;
  const shift = maxShift(nodes, sub.inputs[1]!);
  const axis = single(s.axes);
  if (!shift || shift.x !== sub.inputs[0] || axis === undefined || shift.axis !== axis) return undefined;
  return { kind: "softmax", root: d.id, input: shift.x, axis };
}

/** add(log(sum(exp(x - m), [a])), m) with m = max(x, [a]): logsumexp with the axis kept. */
function matchLogsumexp(nodes: Nodes, root: Node): FusedComposite | undefined {
  if (root.op !== "add") return undefined;
  const log = nodes[root.inputs[0]!]!;
  if (log.op !== "log") return undefined;
  const s = nodes[log.inputs[0]!]!;
  if (s.op !== "sum") return undefined;
  const e = nodes[s.inputs[0]!]!;
  if (e.op !== "exp") return undefined;
  const sub = nodes[e.inputs[0]!]!;
  if (sub.op !== "sub" || sub.inputs[1] !== root.inputs[1]) return undefined;
  const shift = maxShift(nodes, root.inputs[1]!);
  const axis = single(s.axes);
  if (!shift || shift.x !== sub.inputs[0] || axis === undefined || shift.axis !== axis) return undefined;
  return { kind: "logsumexp", root: root.id, input: shift.x, axis };
}

/** sub(x, logsumexp(x, [a], keepDims)). */
function matchLogSoftmax(nodes: Nodes, root: Node): FusedComposite | undefined {
  if (root.op !== "sub") return undefined;
  const lse = matchLogsumexp(nodes, nodes[root.inputs[1]!]!);
  if (!lse || lse.input !== root.inputs[0]) return undefined;
  return { kind: "logSoftmax", root: root.id, input: lse.input, axis: lse.axis };
}

/** mean(t, [a]) = div(sum(t, [a]), n) with n the axis length. */
function meanOf(nodes: Nodes, id: number): { of: number; axis: number } | undefined {
  const d = nodes[id]!;
  if (d.op !== "div") return undefined;
  const s = nodes[d.inputs[0]!]!;
  const axis = s.op === "sum" ? single(s.axes) : undefined;
  if (s.op !== "sum" || axis === undefined) return undefined;
  const n = constantValue(nodes[d.inputs[1]!]);
  const x = nodes[s.inputs[0]!]!;
  return n === x.shape[axis] ? { of: x.id, axis } : undefined;
}

/** div(c, sqrt(add(mean(c * c), eps))) with c = x - mean(x), all over one axis. */
function matchLayerNorm(nodes: Nodes, root: Node): FusedComposite | undefined {
  if (root.op !== "div") return undefined;
  const centered = nodes[root.inputs[0]!]!;
  const sqrt = nodes[root.inputs[1]!]!;
  if (centered.op !== "sub" || sqrt.op !== "sqrt") return undefined;
  const mean = meanOf(nodes, centered.inputs[1]!);
  if (!mean || mean.of !== centered.inputs[0]) return undefined;
  const add = nodes[sqrt.inputs[0]!]!;
  if (add.op !== "add") return undefined;
  const eps = constantValue(nodes[add.inputs[1]!]);
  const variance = meanOf(nodes, add.inputs[0]!);
  if (eps === undefined || !variance || variance.axis !== mean.axis) return undefined;
  const square = nodes[variance.of]!;
  if (square.op !== "mul" || square.inputs[0] !== centered.id || square.inputs[1] !== centered.id) return undefined;
  return { kind: "layerNorm", root: root.id, input: mean.of, axis: mean.axis, eps };
}

/** The other operand of a binary `op` node with the constant `c` on either side, or undefined. */
function withConstant(nodes: Nodes, id: number, op: string, c: number): number | undefined {
  const n = nodes[id]!;
  if (n.op !== op) return undefined;
  const [l, r] = n.inputs as [number, number];
  if (constantValue(nodes[r]) === c) return l;
  if (constantValue(nodes[l]) === c) return r;
  return undefined;
}

/**
 * add(mul(p, div(1, add(exp(neg(max(x, 0))), 1))), mul(sub(1, p), div(e, add(e, 1)))) with
 * p = greaterEqual(x, 0) and e = exp(min(x, 0)): core's sigmoid, each branch on its own half-line.
 */
function matchSigmoid(nodes: Nodes, root: Node): FusedComposite | undefined {
  if (root.op !== "add") return undefined;
  const [upperTerm, lowerTerm] = root.inputs.map((i) => nodes[i]!) as [Node, Node];
  if (upperTerm.op !== "mul" || lowerTerm.op !== "mul") return undefined;
  const p = nodes[upperTerm.inputs[0]!]!;
  if (p.op !== "greaterEqual" || constantValue(nodes[p.inputs[1]!]) !== 0) return undefined;
  const x = p.inputs[0]!;
  const upper = nodes[upperTerm.inputs[1]!]!;
  if (upper.op !== "div" || constantValue(nodes[upper.inputs[0]!]) !== 1) return undefined;
  const ePosPlus1 = withConstant(nodes, upper.inputs[1]!, "add", 1);
  const ePos = ePosPlus1 === undefined ? undefined : nodes[ePosPlus1]!;
  if (ePos?.op !== "exp" || nodes[ePos.inputs[0]!]!.op !== "neg") return undefined;
  if (withConstant(nodes, nodes[ePos.inputs[0]!]!.inputs[0]!, "max", 0) !== x) return undefined;
  const oneMinusP = nodes[lowerTerm.inputs[0]!]!;
  if (oneMinusP.op !== "sub" || constantValue(nodes[oneMinusP.inputs[0]!]) !== 1 || oneMinusP.inputs[1] !== p.id) return undefined;
  const lower = nodes[lowerTerm.inputs[1]!]!;
  if (lower.op !== "div") return undefined;
  const eNeg = nodes[lower.inputs[0]!]!;
  if (eNeg.op !== "exp" || withConstant(nodes, eNeg.inputs[0]!, "min", 0) !== x) return undefined;
  if (withConstant(nodes, lower.inputs[1]!, "add", 1) !== eNeg.id) return undefined;
  return { kind: "sigmoid", root: root.id, input: x, axis: -1 };
}

/**
 * Finds the composites tagged by tracing (the `composite` field of a node) whose structure is
 * exactly core's decomposition. The tag alone is not trusted: passes may have rewritten the
 * nodes under it, and a structural match is what makes the native operator equal in meaning.
 * Expects an optimized program: as traced, layerNorm centers x twice, and only CSE makes the
 * two centerings the one node its structure has.
 */
export function findComposites(program: Program): Map<number, FusedComposite> {
  const found = new Map<number, FusedComposite>();
  const nodes = program.nodes;
  for (const node of nodes) {
    let match: FusedComposite | undefined;
    if (node.composite === "softmax") match = matchSoftmax(nodes, node);
    else if (node.composite === "logSoftmax") match = matchLogSoftmax(nodes, node);
    else if (node.composite === "logsumexp") match = matchLogsumexp(nodes, node);
    else if (node.composite === "layerNorm") match = matchLayerNorm(nodes, node);
    else if (node.composite === "sigmoid") match = matchSigmoid(nodes, node);
    if (match) found.set(node.id, match);
  }
  return found;
}

/**
 * The nodes that must be computed to produce the outputs when each fused composite is computed
 * from its input alone: a flag per node id.
 */
export function neededNodes(program: Program, fused: ReadonlyMap<number, FusedComposite>): Uint8Array {
  const needed = new Uint8Array(program.nodes.length);
  for (const o of program.outputs) needed[o.id] = 1;
  for (let id = program.nodes.length - 1; id >= 0; id--) {
    if (!needed[id]) continue;
    const f = fused.get(id);
    for (const i of f ? [f.input] : program.nodes[id]!.inputs) needed[i] = 1;
  }
  return needed;
}
