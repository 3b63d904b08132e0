// The six blocks of the self-attention Hessian docs/mathematics.md gives (the other three are
// their transposes), in closed form from @unfold/hessian, at one data scale.
import { type AttentionInstance, CANONICAL_BLOCKS, attentionHessian, frobenius } from "@unfold/hessian";

/** One block H(row, col), row-major: rows index vec(W_row), columns vec(W_col). */
export interface HessianBlock {
  readonly name: (typeof CANONICAL_BLOCKS)[number];
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
  readonly frobenius: number;
}

/** The full Hessian's canonical blocks (VV, QQ, KK, VQ, VK, QK) of the instance. */
export function hessianBlocks(instance: AttentionInstance): HessianBlock[] {
  const hessian = attentionHessian(instance);
  return CANONICAL_BLOCKS.map((name) => {
    const block = hessian.block(name, "full");
    return { name, rows: block.rows, cols: block.cols, values: block.data, frobenius: frobenius(block) };
  });
}
