/**
 * Item forms: how a step runs on one item of its batch, as a parameter block of the worker pool
 * whose chunk t computes item t alone (a batched product's item, a Gram softmax's item, a loop
 * kernel over one index of its leading axis). Steps that have one can be chained into an item
 * round (plan/segments.ts), where a thread takes one item through all of them.
 */

/** How one operand of an item block is addressed. */
export interface ItemAccess {
  readonly slot: number;
  /** Element offset, in the slot, of item 0's first element. */
  readonly offset: number;
  /** Elements from item t's first element to item t + 1's; 0 when every item reads the same ones. */
  readonly stride: number;
  /** The farthest element an item reaches from its first (Infinity: unknown, negative strides). */
  readonly span: number;
  /** The block's words for the base and for the stride between items. */
  readonly word: number;
  readonly strideWord: number;
  /** Units per element in those words: 1 for element offsets, else bytes. */
  readonly scale: number;
}

export interface ItemForm {
  readonly items: number;
  readonly reads: readonly ItemAccess[];
  readonly write: ItemAccess;
  /** The block, its base and stride words to be filled in for each run and thread. */
  readonly template: Float64Array;
  /**
   * For blocks with scratch: the words of its base (aligned to 64 bytes) and of each thread's
   * share (the template holds the share the block needs). In a round, threads run different
   * blocks at once, so every block there takes the largest share.
   */
  readonly scratch?: { readonly word: number; readonly threadWord: number };
  /** A loop block's kernel on the calling thread, with the id its block names. */
  readonly kernel?: { readonly id: number; readonly run: (...bases: number[]) => void };
  /** Multiply-adds (products) or elements (loops) of one item: what a round of items must be worth. */
  readonly work: number;
}

/**
 * The access of item t through a strided view of `shape` (element strides, offset into its slot)
 * whose leading axis runs over the items; a leading extent of 1, or none, reads the same
 * elements for every item.
 */
export function itemAccess(
  slot: number,
  offset: number,
  shape: readonly number[],
  strides: readonly number[],
  items: number,
  words: { readonly word: number; readonly strideWord: number; readonly scale: number },
): ItemAccess {
  const perItem = shape.length > 0 && shape[0] === items && items > 1;
  const inner = perItem ? 1 : 0;
  let span = 0;
  for (let axis = inner; axis < shape.length; axis++) {
    if (shape[axis] === 0) continue;
    if (strides[axis]! < 0) span = Infinity;
    else span += (shape[axis]! - 1) * strides[axis]!;
  }
  return { slot, offset, stride: perItem ? strides[0]! : 0, span, ...words };
}

/**
 * Whether item t's access touches only its own part of a slot of `elements` elements cut into
 * `items` equal parts: [t * elements / items, (t + 1) * elements / items).
 */
export function staysInItem(access: ItemAccess, items: number, elements: number): boolean {
  return access.stride > 0 && access.stride * items === elements && access.offset >= 0 && access.offset + access.span < access.stride;
}

/** What item rounds need of the matrix engine (threads/threads.ts). */
export interface ItemRunner {
  readonly threads: number;
  readonly minThreadedWork: number;
  runItems(blocks: number, count: number, perThread: number, items: number, kernelOf: (id: number) => (...bases: number[]) => void): void;
}
