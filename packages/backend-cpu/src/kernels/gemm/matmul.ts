import { broadcastView, type DType, stridesOf, type View } from "@unfold/core";
import { type Step, bytesOf } from "../../steps/step.js";
import type { GemmCall } from "../../steps/calls.js";
import { itemAccess, type ItemForm } from "../../steps/items.js";
import type { MatmulEngine } from "../../steps/matrix-engine.js";
import { BATCH_ITEM_WORDS } from "./parallel.js";

/** The common distance between consecutive offsets, or undefined when they are not evenly spaced. */
function evenStride(offsets: readonly number[]): number | undefined {
  if (offsets.length < 2) return undefined;
  const stride = offsets[1]! - offsets[0]!;
  return offsets.every((o, t) => o === offsets[0]! + t * stride) ? stride : undefined;
}

/** Element offsets of each batch item of a view broadcast over `batch` (row-major order). */
function batchOffsets(view: View, batch: readonly number[]): number[] {
  const strides = overBatch(view, batch).strides;
  const count = batch.reduce((a, b) => a * b, 1);
  const offsets: number[] = [];
  const index = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < count; t++) {
    offsets.push(index.reduce((acc, i, axis) => acc + i * strides[axis]!, 0));
    for (let axis = batch.length - 1; axis >= 0; axis--) {
      if (++index[axis]! < batch[axis]!) break;
      index[axis] = 0;
    }
  }
  return offsets;
}

function sameOffsets(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** A view's shape and strides over `batch` leading axes (broadcast) and its own last two. */
function overBatch(view: View, batch: readonly number[]): { shape: number[]; strides: number[] } {
  const lead = broadcastView({ ...view, shape: view.shape.slice(0, -2), strides: view.strides.slice(0, -2) }, batch).strides;
  return { shape: [...batch, ...view.shape.slice(-2)], strides: [...lead, ...view.strides.slice(-2)] };
}

/**
 * Item t of a product batched over its leading axis alone (any other batch axes of extent 1):
 * A_t B_t, as one item of a batched product's round.
 */
function productItems(engine: MatmulEngine, a: View, b: View, outShape: readonly number[], out: number, call: GemmCall): ItemForm | undefined {
  const batch = outShape.slice(0, -2);
  const items = batch[0] ?? 1;
  if (items < 2 || batch.some((d, axis) => axis > 0 && d !== 1) || !engine.batchItemBlock) return undefined;
  const block = engine.batchItemBlock(call, items, { a: 0, b: 0, c: 0 });
  if (!block) return undefined;
  const scale = bytesOf(call.dtype);
  const words = (w: readonly [number, number]): { word: number; strideWord: number; scale: number } => ({ word: w[0], strideWord: w[1], scale });
  const access = (v: View, w: readonly [number, number]) => {
    const { shape, strides } = overBatch(v, batch);
    return itemAccess(v.slot, v.offset, shape, strides, items, words(w));
  };
  return {
    items,
    reads: [access(a, BATCH_ITEM_WORDS.a), access(b, BATCH_ITEM_WORDS.b)],
    write: itemAccess(out, 0, outShape, stridesOf(outShape), items, words(BATCH_ITEM_WORDS.c)),
    template: block,
    scratch: { word: BATCH_ITEM_WORDS.scratch[0], threadWord: BATCH_ITEM_WORDS.scratch[1] },
    work: call.m * call.n * call.k,
  };
}

/** A batched matmul step; operands are strided views (a transpose is just swapped strides). */
export function matmulStep(engine: MatmulEngine, a: View, b: View, outShape: readonly number[], out: number, dtype: DType, label: string): Step & { scratchBytes: number; work: number } {
  const [m, n] = outShape.slice(-2) as [number, number];
  const k = a.shape.at(-1)!;
  const batch = outShape.slice(0, -2);
  const aOffsets = batchOffsets(a, batch);
  // Multiply-adds of the whole step.
  const work = m * n * k * aOffsets.length;
  const bOffsets = batchOffsets(b, batch);
  const bpe = bytesOf(dtype);
  const [rsA, csA] = a.strides.slice(-2) as [number, number];
  const [rsB, csB] = b.strides.slice(-2) as [number, number];
  // A A^T (the right operand is the left one's transposed view): the product is symmetric.
  const symmetric = m === n && a.slot === b.slot && a.offset === b.offset && rsB === csA && csB === rsA && sameOffsets(batchOffsets(a, batch), batchOffsets(b, batch));
  // A right operand shared by the whole batch, with the left operand's rows evenly spaced
  // across it (x @ W on a [batch, n, d] state), is one tall product: one call, better blocking.
  const tall = aOffsets.length > 1 && bOffsets.every((o) => o === bOffsets[0]) && aOffsets.every((o, t) => o === t * m * rsA);
  const shapeOnly: GemmCall = { dtype, m, n, k, a: 0, rsA, csA, b: 0, rsB, csB, c: 0, rsC: n, symmetric };
  const items = productItems(engine, a, b, outShape, out, shapeOnly);
  if (tall) {
    const call: GemmCall = { dtype, m: m * aOffsets.length, n, k, a: 0, rsA, csA, b: 0, rsB, csB, c: 0, rsC: n };
    return {
      ...(items ? { items } : {}),
      label,
      reads: [a.slot, b.slot],
      writes: out,
      scratchBytes: engine.scratchBytes(call),
      work,
      run: (ctx) =>
        engine.run({ ...call, a: (ctx.base[a.slot]! + a.offset) * bpe, b: (ctx.base[b.slot]! + b.offset + bOffsets[0]!) * bpe, c: ctx.base[out]! * bpe }, ctx.scratch),
    };
  }
  // Attention's per-sequence products (Z Z^T, weights @ Y): many small items that the engine
  // can hand out whole to its threads, one wake-up for the batch.
  const strideA = evenStride(aOffsets);
  const strideB = evenStride(bOffsets);
  if (engine.runBatch && engine.batchScratchBytes && strideA !== undefined && strideB !== undefined) {
    const count = aOffsets.length;
    const strides = { a: strideA * bpe, b: strideB * bpe, c: m * n * bpe };
    return {
      ...(items ? { items } : {}),
      label,
      reads: [a.slot, b.slot],
      writes: out,
      scratchBytes: engine.batchScratchBytes(shapeOnly, count),
      work,
      run: (ctx) =>
        engine.runBatch!(
          { ...shapeOnly, a: (ctx.base[a.slot]! + a.offset + aOffsets[0]!) * bpe, b: (ctx.base[b.slot]! + b.offset + bOffsets[0]!) * bpe, c: ctx.base[out]! * bpe },
          count,
          strides,
          ctx.scratch,
        ),
    };
  }
  return {
    label,
    reads: [a.slot, b.slot],
    writes: out,
    scratchBytes: engine.scratchBytes(shapeOnly),
    work,
    run: (ctx) => {
      const aBase = ctx.base[a.slot]! + a.offset;
      const bBase = ctx.base[b.slot]! + b.offset;
      const cBase = ctx.base[out]!;
      for (let t = 0; t < aOffsets.length; t++) {
        engine.run(
          { ...shapeOnly, a: (aBase + aOffsets[t]!) * bpe, b: (bBase + bOffsets[t]!) * bpe, c: (cBase + t * m * n) * bpe },
          ctx.scratch,
        );
      }
    },
  };
}
