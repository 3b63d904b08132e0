import type { Program } from "../ir/program.js";
import { matchSymmetricProduct, matchYangAttention } from "./composites/attention.js";
import { matchCrossEntropy } from "./composites/cross-entropy.js";
import { matchLayerNorm } from "./composites/layer-norm.js";
import { matchLogSoftmax, matchLogsumexp, matchSoftmax } from "./composites/normalizers.js";
import { COMPOSITE_KINDS, type Composite, type CompositeKind, type CompositeOf } from "./composites/record.js";
import { matchSigmoid } from "./composites/sigmoid.js";

export * from "./composites/record.js";

/**
 * The one recognizer of composites: every backend that fuses softmax, logsumexp, layer norm and
 * the rest reads the records found here, so a changed decomposition un-fuses it everywhere at
 * once. Each family's matcher (composites/*.ts) states the decomposition it accepts.
 */

/** A composite recognised so that it can run as one native operator. Kept as the name onnx and tfjs know. */
export type FusedComposite = Composite;

/**
 * Finds the composites of the given kinds (all by default), one record per root. The tracing tag
 * (a node's `composite` field) says where to look; the structure decides, since passes may have
 * rewritten the nodes under a tag, and only core's exact decomposition makes a fused kernel equal
 * in meaning. Symmetric products carry no tag and are found by structure alone. Where a softmax
 * is also a Yang attention step and both kinds are asked for, the root holds the Yang record,
 * whose `softmax` field is the plain one. Expects an optimized program: as traced, layerNorm
 * centers x twice, and only CSE makes the two centerings the one node its structure has.
 */
export function findComposites<K extends CompositeKind = CompositeKind>(program: Program, kinds: readonly K[] = COMPOSITE_KINDS as readonly CompositeKind[] as readonly K[]): Map<number, CompositeOf<K>> {
  const wanted = new Set<CompositeKind>(kinds);
  const found = new Map<number, Composite>();
  const nodes = program.nodes;
  for (const node of nodes) {
    let match: Composite | undefined;
    switch (node.composite) {
      case "softmax": {
        const softmax = wanted.has("softmax") || wanted.has("yangAttention") ? matchSoftmax(nodes, node) : undefined;
        const yang = softmax && wanted.has("yangAttention") ? matchYangAttention(nodes, softmax) : undefined;
        match = yang ?? (wanted.has("softmax") ? softmax : undefined);
        break;
      }
      case "logSoftmax":
        match = wanted.has("logSoftmax") ? matchLogSoftmax(nodes, node) : undefined;
        break;
      case "logsumexp":
        match = wanted.has("logsumexp") ? matchLogsumexp(nodes, node) : undefined;
        break;
      case "layerNorm":
        match = wanted.has("layerNorm") ? matchLayerNorm(nodes, node) : undefined;
        break;
      case "sigmoid":
        match = wanted.has("sigmoid") ? matchSigmoid(nodes, node) : undefined;
        break;
      case "crossEntropy":
        match = wanted.has("crossEntropy") ? matchCrossEntropy(nodes, node) : undefined;
        break;
      default:
        match = node.op === "matmul" && wanted.has("symmetricProduct") ? matchSymmetricProduct(nodes, node) : undefined;
    }
    if (match) found.set(node.id, match);
  }
  return found as Map<number, CompositeOf<K>>;
}

/**
 * How many times each node is read: once per input slot of another node that names it, and once
 * more for each output it is.
 */
export function useCounts(program: Program): number[] {
  const uses = new Array<number>(program.nodes.length).fill(0);
  for (const n of program.nodes) for (const i of n.inputs) uses[i]!++;
  for (const o of program.outputs) uses[o.id]!++;
  return uses;
}

/**
 * Whether a fused kernel may skip a composite's inner nodes: none is an output, and every read of
 * one comes from another inner node or the root. `uses` counts reads as `useCounts` does (an
 * output's extra count does not matter: outputs are rejected first). Takes any root and inner
 * list, so a record's optional part (a softmax's row-bias subtraction, the Yang bias's nodes with
 * the bias's reader as root) is checked the same way.
 */
export function innerReadOnlyByComposite(
  program: Pick<Program, "nodes">,
  part: { readonly root: number; readonly inner: readonly number[] },
  uses: readonly number[],
  outputs: ReadonlySet<number>,
): boolean {
  const inner = new Set(part.inner);
  const reads = new Map<number, number>();
  for (const id of [...inner, part.root]) {
    for (const i of program.nodes[id]!.inputs) if (inner.has(i)) reads.set(i, (reads.get(i) ?? 0) + 1);
  }
  return part.inner.every((id) => !outputs.has(id) && uses[id] === (reads.get(id) ?? 0));
}

/**
 * The nodes that must be computed to produce the outputs when each fused composite is computed
 * from its arguments alone: a flag per node id.
 */
export function neededNodes(program: Program, fused: ReadonlyMap<number, Composite>): Uint8Array {
  const needed = new Uint8Array(program.nodes.length);
  for (const o of program.outputs) needed[o.id] = 1;
  for (let id = program.nodes.length - 1; id >= 0; id--) {
    if (!needed[id]) continue;
    const f = fused.get(id);
    for (const i of f ? f.args : program.nodes[id]!.inputs) needed[i] = 1;
  }
  return needed;
}
