/**
 * The Yang attention weights softmax(Z Z^T - 1 b^T), and their product with the values when that
 * is the weights' one reader, as one step per batch: each item's product (its lower triangle),
 * its softmax and its value product run back to back on one thread, the softmax from the Gram
 * matrix's lower triangle alone (gram-softmax-wasm.ts). Against a batched product, a mirror, a
 * row softmax and another batched product, this halves the exps, drops the max pass and a pass
 * over every n x n item, and neither n x n matrix leaves the thread's cache.
 */
import { type Composite, innerReadOnlyByComposite, type Node, type Program, type View } from "@unfold/core";
import type { Step } from "../../steps/step.js";
import { GRAM_ITEM_WORDS } from "./rounds.js";
import { type ItemAccess, itemAccess, type ItemForm } from "../../steps/items.js";
import type { SoftmaxMatch } from "../../steps/matches.js";
import type { MatmulEngine } from "../../steps/matrix-engine.js";

export interface GramSoftmaxMatch {
  /** The Gram operand Z: the logits are Z Z^T (over the last two axes) less the bias. */
  readonly operand: number;
  /** The product node, which the fused step replaces. */
  readonly product: number;
  readonly n: number;
  readonly k: number;
  readonly items: number;
  /** Whether every item has its own bias row (else one row serves all). */
  readonly biasPerItem: boolean;
  /**
   * The nodes computing the bias when it is the Yang one, |z_j|^2 / 2 of the same Z, and read by
   * nothing else: the fused step reads it off the Gram diagonal and these never run.
   */
  readonly yangBias?: readonly number[];
}

/**
 * Whether a fused softmax with a row bias is core's Yang attention record (passes/composites in
 * @unfold/core: its argument is matmul(Z, transpose(Z)) less a row bias of period n or n * items),
 * float32, with nothing outside reading its inner nodes (the product included), and the engine
 * would serve it at least as well fused. The bias's own nodes are skipped too when it is the Yang
 * |z_j|^2 / 2 of the same Z and only the subtraction reads them: the step reads it off the Gram
 * diagonal.
 */
export function detectGramSoftmax(program: Program, record: Composite | undefined, uses: readonly number[], outputs: ReadonlySet<number>, match: SoftmaxMatch, engine: MatmulEngine): GramSoftmaxMatch | undefined {
  if (record?.kind !== "yangAttention" || !match.bias || !engine.gramSoftmaxSupported) return undefined;
  const { n, k, items } = record.product;
  if (program.nodes[record.product.root]!.dtype !== "float32" || !innerReadOnlyByComposite(program, record, uses, outputs)) return undefined;
  if (!engine.gramSoftmaxSupported(n, k, items)) return undefined;
  const yangBias = record.yangBias && innerReadOnlyByComposite(program, { root: record.softmax.rowBias.sub, inner: record.yangBias }, uses, outputs) ? record.yangBias : undefined;
  return { operand: record.operand, product: record.product.root, n, k, items, biasPerItem: record.biasPerItem, ...(yangBias ? { yangBias } : {}) };
}

/**
 * Whether the weights' one reader is a product P V over the same items, float32: the fused step
 * then computes P_t V_t too, and P never leaves the thread's cache. Returns V's node.
 */
export function detectGramValue(nodes: readonly Node[], uses: readonly number[], outputs: ReadonlySet<number>, softmax: Node, reader: Node | undefined, gram: GramSoftmaxMatch): number | undefined {
  if (!reader || reader.op !== "matmul" || reader.dtype !== "float32" || uses[softmax.id] !== 1 || outputs.has(softmax.id) || reader.inputs[0] !== softmax.id) return undefined;
  const value = nodes[reader.inputs[1]!]!;
  if (value.dtype !== "float32" || value.shape.length !== softmax.shape.length) return undefined;
  const lead = softmax.shape.slice(0, -2);
  if (!lead.every((d, axis) => d === value.shape[axis]) || value.shape.at(-2) !== gram.n) return undefined;
  return value.id;
}

/**
 * The fused step over a contiguous Z ([items, n, k]) and contiguous bias rows, into a contiguous
 * [items, n, n] slot of weights, or with a contiguous `value` V ([items, n, dv]) into a
 * contiguous [items, n, dv] slot of P V.
 */
export function gramSoftmaxStep(engine: MatmulEngine, match: GramSoftmaxMatch, z: View, bias: View | undefined, out: number, label: string, value?: View): Step & { scratchBytes: number; work: number } {
  const { n, k, items, biasPerItem } = match;
  const dv = value ? value.shape.at(-1)! : 0;
  if (!bias && !match.yangBias) throw new Error(`${label}: a Gram softmax needs its bias, or the Yang bias read off the diagonal`);
  const perItem = gramItems(engine, match, z, bias, out, value);
  return {
    ...(perItem ? { items: perItem } : {}),
    label,
    reads: [z.slot, ...(bias ? [bias.slot] : []), ...(value ? [value.slot] : [])],
    writes: out,
    scratchBytes: engine.gramSoftmaxScratchBytes!(n, k, items, dv),
    // Multiply-adds of the products, as a matmul step counts them (they decide whether a run holds the workers).
    work: n * n * (k + dv) * items,
    run: (ctx) =>
      engine.gramSoftmax!(
        {
          n,
          k,
          items,
          a: (ctx.base[z.slot]! + z.offset) * 4,
          rsA: k,
          csA: 1,
          strideA: n * k * 4,
          bias: bias ? (ctx.base[bias.slot]! + bias.offset) * 4 : 0,
          strideBias: biasPerItem ? n * 4 : 0,
          biasFromDiagonal: !bias,
          out: ctx.base[out]! * 4,
          ...(value ? { value: { b: (ctx.base[value.slot]! + value.offset) * 4, rsB: dv, csB: 1, stride: n * dv * 4, dv } } : {}),
        },
        ctx.scratch,
      ),
  };
}

/**
 * Item t of the fused step, as one item of its round: Z_t, its bias row (or the one row for
 * all), V_t, and its part of the output. Undefined unless the items are Z's leading axis, and
 * each operand's items sit where the round's strides put them.
 */
function gramItems(engine: MatmulEngine, match: GramSoftmaxMatch, z: View, bias: View | undefined, out: number, value: View | undefined): ItemForm | undefined {
  const { n, k, items, biasPerItem } = match;
  const dv = value ? value.shape.at(-1)! : 0;
  if (!engine.gramItemBlock || items < 2 || z.shape[0] !== items) return undefined;
  const block = engine.gramItemBlock({
    n,
    k,
    items,
    a: 0,
    rsA: k,
    csA: 1,
    strideA: 0,
    bias: 0,
    strideBias: 0,
    biasFromDiagonal: !bias,
    out: 0,
    ...(value ? { value: { b: 0, rsB: dv, csB: 1, stride: 0, dv } } : {}),
  });
  if (!block) return undefined;
  const words = (w: readonly [number, number]): { word: number; strideWord: number; scale: number } => ({ word: w[0], strideWord: w[1], scale: 4 });
  const of = (v: View, w: readonly [number, number]): ItemAccess => itemAccess(v.slot, v.offset, v.shape, v.strides, items, words(w));
  const reads = [of(z, GRAM_ITEM_WORDS.a)];
  if (bias) reads.push(of(bias, GRAM_ITEM_WORDS.bias));
  if (value) reads.push(of(value, GRAM_ITEM_WORDS.value));
  // The kernel addresses rows and columns itself: only where the items' strides are those it assumes.
  const expected = [n * k, ...(bias ? [biasPerItem ? n : 0] : []), ...(value ? [n * dv] : [])];
  if (reads.some((a, i) => a.stride !== expected[i])) return undefined;
  const cols = value ? dv : n;
  return {
    items,
    reads,
    write: { slot: out, offset: 0, stride: n * cols, span: n * cols - 1, ...words(GRAM_ITEM_WORDS.out) },
    template: block,
    scratch: { word: GRAM_ITEM_WORDS.scratch[0], threadWord: GRAM_ITEM_WORDS.scratch[1] },
    work: n * n * (k + dv),
  };
}
