import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DType,
  LONG_SUM_TERMS,
  type Program,
  Random,
  findComposites,
  input,
  interpret,
  logsumexp,
  ops,
  relativeError,
  ruleFor,
  softmax,
  splitLongSums,
  trace,
} from "../src/index.js";

/** The most terms any sum node of `program` adds up. */
function longestSum(program: Program): number {
  let longest = 0;
  for (const n of program.nodes) {
    if (n.op !== "sum") continue;
    const shape = program.nodes[n.inputs[0]!]!.shape;
    longest = Math.max(longest, n.axes.reduce((p, a) => p * shape[a]!, 1));
  }
  return longest;
}

/** Every node is numbered by position, reads only earlier nodes and has the shape and dtype its primitive's rule gives. */
function expectWellFormed(program: Program): void {
  for (const [i, node] of program.nodes.entries()) {
    expect(node.id).toBe(i);
    expect(node.inputs.every((j) => j < i)).toBe(true);
    if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
    const { id: _id, inputs, shape, dtype: _dtype, label: _label, composite: _composite, ...spec } = node;
    const args = inputs.map((j) => program.nodes[j]!);
    const inferred = ruleFor(node.op).infer(spec as never, args, shape);
    expect([inferred.shape, inferred.dtype], `%${i} ${node.op}`).toEqual([[...shape], node.dtype]);
  }
}

/** The split program computes what the original does (in float64, up to the order of the additions). */
function expectSameValues(before: Program, after: Program, seed: number): void {
  const rng = new Random(seed);
  const feeds = new Map(before.feeds.map((f) => [f.name, rng.uniforms(f.shape.reduce((p, d) => p * d, 1), 0.5, 1.5)]));
  const want = interpret(before, feeds);
  const got = interpret(after, feeds);
  for (const [name, w] of want) expect(relativeError(Array.from(got.get(name)!), Array.from(w)), name).toBeLessThan(1e-13);
}

describe("splitLongSums", () => {
  it("returns a program whose sums are all short as the very same program", () => {
    const program = trace({ x: input([8, LONG_SUM_TERMS], "float32") }, ({ x }) => ({ s: ops.sum(x, -1), p: softmax(x, -1), m: ops.mean(x, 0) }));
    expect(splitLongSums(program)).toBe(program);
  });

  it("leaves float64 sums alone unless asked", () => {
    const program = trace({ x: input([4096], "float64") }, ({ x }) => ops.sum(x));
    expect(splitLongSums(program)).toBe(program);
    const split = splitLongSums(program, { dtypes: ["float64"] });
    expect(longestSum(split)).toBeLessThanOrEqual(LONG_SUM_TERMS);
    expectSameValues(program, split, 1);
  });

  // Each shape reaches one path: blocks that tile the axis, a remainder (4099 is prime), an axis
  // other than the last, several axes each short but long together, and several levels of blocks.
  const shapes: { title: string; shape: number[]; axes: number[]; maxTerms?: number; levels: number }[] = [
    { title: "2^18 terms in blocks of 1024", shape: [2 ** 18], axes: [0], levels: 2 },
    { title: "a prime length (a remainder summed on its own)", shape: [3, 4099], axes: [1], levels: 2 },
    { title: "the middle axis of [1, 2^17, 2]", shape: [1, 2 ** 17, 2], axes: [1], levels: 2 },
    { title: "three short axes, 65,536 terms together", shape: [64, 32, 32], axes: [0, 1, 2], levels: 3 },
    { title: "10,000 terms with at most 10 a sum: four levels", shape: [2, 10000], axes: [1], maxTerms: 10, levels: 4 },
  ];
  for (const { title, shape, axes, maxTerms, levels } of shapes) {
    it(`splits a sum of ${title} into sums of at most maxTerms terms, node for node well formed, with the same values`, () => {
      const program = trace({ x: input(shape, "float32") }, ({ x }) => ({ s: ops.sum(x, axes, true) }));
      const split = splitLongSums(program, maxTerms !== undefined ? { maxTerms } : {});
      const limit = maxTerms ?? LONG_SUM_TERMS;
      expect(longestSum(program)).toBeGreaterThan(limit);
      expect(longestSum(split)).toBeLessThanOrEqual(limit);
      // Blocks are as long as they may be: no more sums than a tree of `levels` levels needs.
      expect(split.nodes.filter((n) => n.op === "sum").length).toBeLessThanOrEqual(2 * levels);
      expect(split.nodes[split.outputs[0]!.id]!.shape).toEqual(program.nodes[program.outputs[0]!.id]!.shape);
      expectWellFormed(split);
      expectSameValues(program, split, 2);
    });
  }

  it("holds for any shape, axes and maxTerms (random programs)", () => {
    const caseArb = fc
      .record({ shape: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }), maxTerms: fc.integer({ min: 2, max: 9 }), seed: fc.nat() })
      .chain((c) => fc.record({ axes: fc.subarray(c.shape.map((_, i) => i), { minLength: 1 }) }).map((a) => ({ ...c, ...a })));
    fc.assert(
      fc.property(caseArb, ({ shape, axes, maxTerms, seed }) => {
        const program = trace({ x: input(shape, "float32") }, ({ x }) => ({ s: ops.sum(x, axes, true), t: ops.sum(x.mul(x), axes) }));
        const split = splitLongSums(program, { maxTerms });
        expect(longestSum(split)).toBeLessThanOrEqual(maxTerms);
        expectWellFormed(split);
        expectSameValues(program, split, seed);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the sum's name on its value", () => {
    const program = trace({ x: input([2, 4096], "float32") }, ({ x }) => ({ s: ops.sum(x, -1, true).named("total") }));
    const split = splitLongSums(program);
    expect(split.nodes.length).toBeGreaterThan(program.nodes.length);
    expect(split.nodes[split.outputs[0]!.id]!.label).toBe("total");
    expect(split.nodes.filter((n) => n.label === "total")).toHaveLength(1);
  });

  it("tags every node that replaces a composite's sum with the composite, as tracing tags its own nodes", () => {
    const program = trace({ x: input([2, 4096], "float32") }, ({ x }) => ({ p: softmax(x, -1) }));
    const split = splitLongSums(program);
    const computed = split.nodes.filter((n) => n.op !== "input");
    expect(computed.filter((n) => n.op === "sum").length).toBeGreaterThan(1);
    expect(computed.filter((n) => n.composite !== "softmax").map((n) => n.op)).toEqual([]);
  });

  it("leaves a long softmax or logsumexp for its decomposition (no native operator sums it serially) and a short one fused", () => {
    const build = (n: number, dtype: DType): Program => trace({ x: input([2, n], dtype) }, ({ x }) => ({ p: softmax(x, -1), l: logsumexp(x, -1) }));
    const kinds = (p: Program): string[] => [...findComposites(splitLongSums(p)).values()].map((f) => f.kind).sort();
    expect(kinds(build(LONG_SUM_TERMS, "float32"))).toEqual(["logsumexp", "softmax"]);
    expect(kinds(build(LONG_SUM_TERMS + 1, "float32"))).toEqual([]);
    expect(kinds(build(LONG_SUM_TERMS + 1, "float64"))).toEqual(["logsumexp", "softmax"]);
  });

  it.each([1, 0, -4, 2.5, Number.NaN])("rejects maxTerms %s, naming it", (maxTerms) => {
    const program = trace({ x: input([8], "float32") }, ({ x }) => ops.sum(x));
    expect(() => splitLongSums(program, { maxTerms })).toThrow(`splitLongSums: maxTerms must be an integer of at least 2, got ${maxTerms}`);
  });
});
