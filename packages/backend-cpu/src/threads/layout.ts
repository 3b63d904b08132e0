/**
 * Typed work descriptions: a round's parameter block is a Float64Array of ROUND_WORDS words
 * (it travels through shared memory to the worker threads, see pool.ts), and each kind of work
 * names its words in one layout. The planner that writes a block and the runner that reads it
 * both index it through that layout, so the word numbers are derived once, here, and never
 * written by hand.
 *
 * Every block has its kind at word 0 (which runner takes it) and its chunk count at TOTAL_WORD
 * (what the pool claims chunks against); a layout's own words fill the others in order.
 */

/** Float64 words of every round's parameter block. */
export const ROUND_WORDS = 29;
/** Index of the round kind (ROUND_KIND) in a block. */
export const KIND_WORD = 0;
/** Index of the chunk count in a block. */
export const TOTAL_WORD = 24;

/**
 * The kinds of work the threads run, one runner each (runner.ts). A block's word 0 holds its
 * kind; the numbers only need to be distinct and stable within one process.
 */
export const ROUND_KIND = {
  /** Chunks of a threaded GEMM (kernels/gemm). */
  gemmChunk: 1,
  /** Float32 softmax rows (kernels/softmax). */
  softmaxRows: 3,
  /** Mirror of a symmetric product's lower triangle (kernels/gemm). */
  mirror: 5,
  /** One item of a batched product (kernels/gemm). */
  batchItem: 6,
  /** A shared loop kernel over chunks of its outer axis (kernel-round.ts). */
  kernel: 7,
  /** One item of a Gram softmax (kernels/gram-softmax). */
  gramItem: 8,
  /** One item through every step of a chain (item-round.ts). */
  items: 9,
} as const;

export type RoundKind = (typeof ROUND_KIND)[keyof typeof ROUND_KIND];

/** Word indices of a layout's names: what a runner reads a block through. */
export type LayoutWords<Name extends string> = { readonly [K in Name]: number } & { readonly kind: number; readonly total: number };

/** A layout: its name (for messages), its words, and how many words it uses. */
export interface RoundLayout<Name extends string = string> {
  readonly name: string;
  readonly words: LayoutWords<Name>;
  /** One past the highest word it names. */
  readonly end: number;
}

/**
 * Lays out `names` in order from word 1, skipping TOTAL_WORD; the name "total" is the chunk
 * count itself. Throws where the names do not fit in ROUND_WORDS or repeat.
 */
export function defineLayout<const Names extends readonly string[]>(name: string, names: Names): RoundLayout<Names[number]> {
  const words: Record<string, number> = { kind: KIND_WORD, total: TOTAL_WORD };
  let next = 1;
  for (const word of names) {
    if (word === "kind" || word in words) throw new Error(`round layout '${name}': word '${word}' is named twice`);
    if (next === TOTAL_WORD) next++;
    words[word] = next++;
  }
  if (next > ROUND_WORDS) throw new Error(`round layout '${name}': ${names.length} words do not fit in ${ROUND_WORDS} (kind and total included)`);
  return { name, words: Object.freeze(words) as LayoutWords<Names[number]>, end: next };
}

/** The values of a layout's words, every one named (the kind and the chunk count apart). */
export type BlockValues<Name extends string> = { readonly [K in Exclude<Name, "kind">]: number };

/** Writes a block of `kind` through `layout`: every named word, nothing by position. */
export function blockOf<Name extends string>(kind: RoundKind, layout: RoundLayout<Name>, values: BlockValues<Name> & { readonly total: number }): Float64Array {
  const block = new Float64Array(ROUND_WORDS);
  block[KIND_WORD] = kind;
  const words = layout.words as Record<string, number>;
  for (const [name, value] of Object.entries(values) as [string, number][]) {
    const at = words[name];
    if (at === undefined) throw new Error(`round layout '${layout.name}' has no word '${name}'`);
    block[at] = value;
  }
  return block;
}
