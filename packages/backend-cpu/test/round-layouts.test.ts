// The typed work descriptions: every kind of work names its parameter words in one layout
// (threads/layout.ts); the planner writes a block through it and the runner, on the calling
// thread and on the workers, reads it through the same layout object. These tests check the
// layouts themselves, that each block a planner writes reaches a runner that reads it with the
// planner's layout, and that the named words hold what the planner was given.
import { describe, expect, it } from "vitest";
import { blockOf, defineLayout, KIND_WORD, ROUND_KIND, ROUND_WORDS, TOTAL_WORD, type RoundLayout } from "../src/threads/layout.js";
import { ITEM_LAYOUT, planItemRound } from "../src/threads/item-round.js";
import { KERNEL_LAYOUT, KERNEL_TABLE, kernelRound, KERNEL_ROUND_MAX_ACCESSES } from "../src/threads/kernel-round.js";
import { BATCH_LAYOUT, GEMM_LAYOUT, MIRROR_LAYOUT, planBatched, planMirror, planParallel } from "../src/kernels/gemm/parallel.js";
import { planSoftmaxRows, SOFTMAX_LAYOUT } from "../src/kernels/softmax/rows-round.js";
import { GRAM_ITEM_LAYOUT, planGramSoftmax } from "../src/kernels/gram-softmax/rounds.js";
import { BLOCKING } from "../src/wasm/gemm-driver.js";
import { createEngine } from "../src/engine.js";
import type { GemmCall, GramSoftmaxCall } from "../src/steps/calls.js";

const LAYOUTS: RoundLayout[] = [GEMM_LAYOUT, BATCH_LAYOUT, MIRROR_LAYOUT, SOFTMAX_LAYOUT, GRAM_ITEM_LAYOUT, KERNEL_LAYOUT, ITEM_LAYOUT];

const call: GemmCall = { dtype: "float32", m: 40, n: 48, k: 24, a: 64, rsA: 24, csA: 1, b: 8192, rsB: 48, csB: 1, c: 16384, rsC: 48 };
const gram: GramSoftmaxCall = { n: 16, k: 8, items: 6, a: 128, rsA: 8, csA: 1, strideA: 512, bias: 4096, strideBias: 64, out: 8192, value: { b: 20000, rsB: 4, csB: 1, stride: 256, dv: 4 } };

/** Each kind's block as its planner writes it, the layout that planner wrote it with, and words it must hold. */
const planned: { name: string; block: Float64Array; layout: RoundLayout; expected: Record<string, number> }[] = [
  { name: "threaded product", block: planParallel(call, 2, BLOCKING.float32, 0).rounds[0]!.params, layout: GEMM_LAYOUT, expected: { m: 40, k: 24, a: 64, rsA: 24, rsC: 48, plain: 0, symmetric: 0 } },
  { name: "plain threaded product", block: planParallel(call, 2, undefined, 0).rounds[0]!.params, layout: GEMM_LAYOUT, expected: { m: 40, nc: 48, plain: 1 } },
  { name: "batch item", block: planBatched(call, 5, { a: 100, b: 200, c: 300 }, BLOCKING.float32, 2, 0).params, layout: BATCH_LAYOUT, expected: { n: 48, strideA: 100, strideB: 200, strideC: 300, total: 5, mc: BLOCKING.float32.mc } },
  { name: "mirror", block: planMirror("float64", 100, 7, 101), layout: MIRROR_LAYOUT, expected: { dtype: 1, n: 100, c: 7, rsC: 101, total: 4 } },
  { name: "softmax rows", block: planSoftmaxRows(64, -1, 128, 10, 32, 10, 2), layout: SOFTMAX_LAYOUT, expected: { biased: 0, rows: 10, cols: 32, x: 64, out: 128, period: 10 } },
  { name: "gram item", block: planGramSoftmax(gram, BLOCKING.float32, 2, 0).params, layout: GRAM_ITEM_LAYOUT, expected: { n: 16, k: 8, strideA: 512, bias: 4096, dv: 4, v: 20000, strideV: 256, total: 6, diagonal: 0, strideOut: 16 * 4 * 4 } },
  { name: "kernel round", block: kernelRound(3, 4, [10, 20], [1, 2], 7), layout: KERNEL_LAYOUT, expected: { id: 3, lastId: 4, accesses: 2, total: 7 } },
  { name: "item round", block: planItemRound(4096, 3, 1024, 8), layout: ITEM_LAYOUT, expected: { blocks: 4096, count: 3, perThread: 1024, total: 8 } },
];

describe("round layouts", () => {
  it("give every word its own index inside a block, with the kind at word 0 and the chunk count at TOTAL_WORD", () => {
    for (const layout of LAYOUTS) {
      const indices = Object.values(layout.words);
      expect(new Set(indices).size, layout.name).toBe(indices.length);
      expect(indices.every((i) => Number.isInteger(i) && i >= 0 && i < ROUND_WORDS), layout.name).toBe(true);
      expect(layout.words.kind).toBe(KIND_WORD);
      expect(layout.words.total).toBe(TOTAL_WORD);
    }
    // The kernel round's access table starts past its named words and ends below the chunk count.
    expect(KERNEL_TABLE).toBeGreaterThanOrEqual(KERNEL_LAYOUT.end);
    expect(KERNEL_TABLE + 2 * KERNEL_ROUND_MAX_ACCESSES).toBeLessThanOrEqual(TOTAL_WORD);
  });

  it("hold, at each named word, the value the planner was given", () => {
    for (const { name, block, layout, expected } of planned) {
      const words = layout.words as Record<string, number>;
      for (const [word, value] of Object.entries(expected)) expect(block[words[word]!], `${name}: ${word}`).toBe(value);
    }
  });

  it("reach, for every block a planner writes, a registered runner that reads it with the planner's layout", async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
    const engine = await createEngine(memory, { threads: 2 });
    try {
      const runners = engine.parts.threads.context.runners;
      const kinds = Object.values(ROUND_KIND);
      expect(Object.keys(runners).map(Number).sort((x, y) => x - y)).toEqual([...kinds].sort((x, y) => x - y));
      for (const { name, block, layout } of planned) {
        const entry = runners[block[KIND_WORD]!];
        expect(entry, name).toBeDefined();
        expect(entry!.words, name).toBe(layout.words);
      }
    } finally {
      await engine.dispose();
    }
  });

  it("reject a layout that names a word twice or does not fit, and a block value of a word it lacks", () => {
    expect(() => defineLayout("twice", ["a", "b", "a"])).toThrow("round layout 'twice': word 'a' is named twice");
    expect(() => defineLayout("kind", ["kind"])).toThrow("round layout 'kind': word 'kind' is named twice");
    expect(() => defineLayout("total", ["total"])).toThrow("round layout 'total': word 'total' is named twice");
    const many = Array.from({ length: ROUND_WORDS - 1 }, (_, i) => `w${i}`);
    expect(() => defineLayout("many", many)).toThrow(`round layout 'many': ${ROUND_WORDS - 1} words do not fit in ${ROUND_WORDS} (kind and total included)`);
    expect(defineLayout("full", many.slice(1)).end).toBe(ROUND_WORDS);
    const small = defineLayout("small", ["x"]);
    expect(() => blockOf(ROUND_KIND.mirror, small, { x: 1, total: 1, y: 2 } as never)).toThrow("round layout 'small' has no word 'y'");
  });
});
