// The one composite recognizer (passes/composites.ts): findComposites finds each kind as core
// traces it, with its parameters, on any axis, after optimize; it rejects each variant whose
// decomposition differs (same tag, other math); innerReadOnlyByComposite is the one rule for
// skipping a record's inner nodes; neededNodes drops a matched composite's internals unless
// something else reads them.
import { describe, expect, it } from "vitest";
import {
  type Composite,
  type Program,
  type Tensor,
  crossEntropy,
  findComposites,
  innerReadOnlyByComposite,
  input,
  layerNorm,
  logSoftmax,
  logsumexp,
  neededNodes,
  ops,
  optimize,
  sigmoid,
  softmax,
  trace,
  useCounts,
} from "../src/index.js";

const found = (p: Program): Composite[] => [...findComposites(optimize(p)).values()];
const kinds = (p: Program): string[] => found(p).map((c) => `${c.kind}${"axis" in c ? `@${c.axis}` : ""}`).sort();
const one = (p: Program, kind: Composite["kind"]): Composite => {
  const all = found(p).filter((c) => c.kind === kind);
  expect(all).toHaveLength(1);
  return all[0]!;
};
const unary = (shape: number[], f: (x: Tensor) => Tensor): Program => trace({ x: input(shape) }, ({ x }) => ({ y: f(x) }));
const tagged = (x: Tensor, tag: string, build: () => Tensor): Tensor => x.graph.composite(tag, build);
const outputId = (p: Program, name = "y"): number => p.outputs.find((o) => o.name === name)!.id;

describe("findComposites: the canonical traces", () => {
  it("matches each composite on the axis it was traced with (layerNorm once CSE merged its two centerings)", () => {
    const program = trace({ x: input([3, 4, 5]) }, ({ x }) => ({
      s: softmax(x, 1),
      ls: logSoftmax(x, -1),
      lse: logsumexp(x, 0, true),
      ln: layerNorm(x),
      sg: sigmoid(x),
    }));
    // logSoftmax's own logsumexp is matched too (a backend lowers whichever root it reaches).
    const expected = ["layerNorm@2", "logSoftmax@2", "logsumexp@0", "logsumexp@2", "sigmoid@-1", "softmax@1"];
    // As traced, layerNorm computes x - mean twice (once inside moments): only CSE makes them one node.
    expect([...findComposites(program).values()].map((c) => `${c.kind}@${"axis" in c ? c.axis : ""}`).sort()).toEqual(expected.filter((k) => !k.startsWith("layerNorm")));
    expect(kinds(program)).toEqual(expected);
    const optimized = optimize(program);
    for (const c of findComposites(optimized).values()) {
      expect(c.args.map((a) => optimized.nodes[a]!.op)).toEqual(["input"]);
      // The inner nodes are computed nodes between the argument and the root, each once.
      expect(new Set(c.inner).size).toBe(c.inner.length);
      for (const id of c.inner) expect(id > c.args[0]! && id < c.root && !["constant", "input"].includes(optimized.nodes[id]!.op)).toBe(true);
    }
  });

  it("records each kind's parameters and inner nodes", () => {
    const ln = one(unary([4, 6], (x) => layerNorm(x, { eps: 0.25 })), "layerNorm");
    expect(ln).toMatchObject({ axis: 1, eps: 0.25 });
    // mean (sum, div), centering, square, variance (sum, div), + eps, sqrt.
    expect(ln.inner).toHaveLength(8);
    const sm = one(unary([4, 6], (x) => softmax(x, 0)), "softmax");
    expect(sm).toMatchObject({ axis: 0 });
    expect(sm).not.toHaveProperty("rowBias");
    expect(sm.inner).toHaveLength(4); // max, sub, exp, sum (optimize drops the stopGradient)
    expect(one(unary([4, 6], (x) => logsumexp(x, -1)), "logsumexp").inner).toHaveLength(5);
    expect(one(unary([4, 6], (x) => logSoftmax(x, -1)), "logSoftmax").inner).toHaveLength(6);
    expect(one(unary([5], (x) => sigmoid(x)), "sigmoid").inner).toHaveLength(13);
  });

  it("finds crossEntropy over rows, over one row, and over a middle axis", () => {
    for (const [shape, axis] of [
      [[4, 5], 1],
      [[5], 0],
      [[2, 5, 3], 1],
    ] as const) {
      const p = trace({ l: input([...shape]), t: input([...shape]) }, ({ l, t }) => ({ y: crossEntropy(l, t, axis) }));
      const ce = one(p, "crossEntropy");
      const o = optimize(p);
      expect(ce).toMatchObject({ axis, root: outputId(o) });
      expect(ce.args.map((a) => o.nodes[a]!.op === "input" && o.nodes[a]!.name)).toEqual(["l", "t"]);
      expect(innerReadOnlyByComposite(o, ce, useCounts(o), new Set([outputId(o)]))).toBe(true);
    }
  });

  it("finds symmetric products Z Z^T of rank 2 and 4", () => {
    for (const shape of [[5, 3], [2, 3, 5, 4]]) {
      const sp = one(unary(shape, (z) => ops.matmul(z, ops.swapLastAxes(z))), "symmetricProduct");
      expect(sp).toMatchObject({ n: shape.at(-2), k: shape.at(-1), items: shape.slice(0, -2).reduce((a, b) => a * b, 1), inner: [] });
    }
  });

  it("finds the Yang attention step with its bias's period, and whether the bias is the Yang |z_j|^2 / 2", () => {
    const [b, h, n, k] = [2, 3, 5, 4];
    const yangQ = (z: Tensor): Tensor => ops.mul(ops.swapLastAxes(ops.sum(ops.mul(z, z), -1, true)), 0.5);
    const step = (bias: (z: Tensor, other: Tensor) => Tensor) =>
      trace({ z: input([b, h, n, k]), r: input([b, h, 1, n]), s: input([n]) }, ({ z, r, s }) => ({ y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), bias(z, ops.add(r, ops.mul(s, 0)))), -1) }));
    const own = one(step((z) => yangQ(z)), "yangAttention");
    expect(own).toMatchObject({ period: n, biasPerItem: true, product: { n, k, items: b * h } });
    expect(own.kind === "yangAttention" && own.yangBias).toHaveLength(4);
    const given = one(step((_z, r) => r), "yangAttention");
    expect(given).toMatchObject({ period: n, biasPerItem: true });
    expect(given).not.toHaveProperty("yangBias");
    const shared = trace({ z: input([b, h, n, k]), r: input([1, 1, 1, n]) }, ({ z, r }) => ({ y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), r), -1) }));
    expect(one(shared, "yangAttention")).toMatchObject({ period: b * h * n, biasPerItem: false });
    // Asked for softmax alone, the same root is a plain softmax with its row bias.
    const o = optimize(step((z) => yangQ(z)));
    const plain = [...findComposites(o, ["softmax"]).values()];
    expect(plain.map((c) => [c.kind, c.rowBias?.period])).toEqual([["softmax", n]]);
  });
});

describe("findComposites: variants whose decomposition differs are not matched", () => {
  const variants: [string, Program][] = [
    ["softmax without the max shift", unary([3, 6], (x) => tagged(x, "softmax", () => ops.div(ops.exp(x), ops.sum(ops.exp(x), 1, true))))],
    [
      "softmax shifted over the other axis",
      unary([3, 6], (x) =>
        tagged(x, "softmax", () => {
          const e = ops.exp(ops.sub(x, ops.stopGradient(ops.max(x, 0, true))));
          return ops.div(e, ops.sum(e, 1, true));
        }),
      ),
    ],
    [
      "logsumexp without the shift added back",
      unary([3, 6], (x) => tagged(x, "logsumexp", () => ops.add(ops.log(ops.sum(ops.exp(ops.sub(x, ops.max(x, 1, true))), 1, true)), 1))),
    ],
    ["logSoftmax of x less another tensor's logsumexp", unary([3, 6], (x) => tagged(x, "logSoftmax", () => ops.sub(x, logsumexp(ops.mul(x, 2), 1, true))))],
    [
      "layerNorm with eps outside the square root",
      unary([3, 6], (x) =>
        tagged(x, "layerNorm", () => {
          const c = ops.sub(x, ops.mean(x, 1, true));
          return ops.div(c, ops.add(ops.sqrt(ops.mean(ops.mul(c, c), 1, true)), 1e-5));
        }),
      ),
    ],
    ["sigmoid as 1 / (1 + e^-x)", unary([3, 6], (x) => tagged(x, "sigmoid", () => ops.div(1, ops.add(ops.exp(ops.neg(x)), 1))))],
    [
      "crossEntropy of the softmax instead of its log",
      trace({ l: input([3, 6]), t: input([3, 6]) }, ({ l, t }) => ({ y: tagged(l, "crossEntropy", () => ops.mean(ops.neg(ops.sum(ops.mul(t, softmax(l, 1)), 1)))) })),
    ],
    [
      "crossEntropy summed over the rows instead of averaged",
      trace({ l: input([3, 6]), t: input([3, 6]) }, ({ l, t }) => ({ y: tagged(l, "crossEntropy", () => ops.sum(ops.neg(ops.sum(ops.mul(t, logSoftmax(l, 1)), 1)))) })),
    ],
    ["Z^T Z (the transpose on the left)", unary([5, 3], (z) => ops.matmul(ops.swapLastAxes(z), z))],
    ["Z W^T of two tensors", trace({ z: input([5, 3]), w: input([5, 3]) }, ({ z, w }) => ({ y: ops.matmul(z, ops.swapLastAxes(w)) }))],
    ["Z Z^T over a transpose of the leading axes", unary([3, 3, 3], (z) => ops.matmul(z, ops.transpose(z, [1, 0, 2])))],
  ];
  for (const [name, program] of variants) {
    it(name, () => {
      const root = outputId(optimize(program));
      // The inner composites a variant is built from may match (the softmax inside a variant
      // crossEntropy is a softmax); the variant's own root must not.
      expect(findComposites(optimize(program)).get(root)).toBeUndefined();
    });
  }

  it("a Yang step whose bias has the wrong period, or is a column, or whose logits are not Z Z^T, is a softmax, not a Yang step", () => {
    const [b, h, n, k] = [2, 3, 5, 4];
    const cases = [
      trace({ z: input([b, h, n, k]), r: input([b, 1, 1, n]) }, ({ z, r }) => ({ y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), r), -1) })),
      trace({ z: input([b, h, n, k]), r: input([b, h, n, 1]) }, ({ z, r }) => ({ y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), r), -1) })),
      trace({ z: input([b, h, n, k]), w: input([b, h, n, k]), r: input([b, h, 1, n]) }, ({ z, w, r }) => ({ y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(w)), r), -1) })),
    ];
    for (const p of cases) expect(kinds(p).filter((c) => c !== "symmetricProduct")).toEqual(["softmax@3"]);
  });

  it("does not match a tagged node whose structure was rewritten after tracing", () => {
    const program = trace({ x: input([2, 6]) }, ({ x }) => ({ s: softmax(x, -1) }));
    const root = program.outputs[0]!.id;
    // Point the softmax root's denominator at another sum (over the other axis): same tag, other math.
    const nodes = program.nodes.map((n) => ({ ...n }));
    const sum = nodes[nodes[root]!.inputs[1]!]!;
    nodes[sum.id] = { ...sum, axes: [0] } as never;
    expect(findComposites({ ...program, nodes })).toEqual(new Map());
  });
});

describe("innerReadOnlyByComposite", () => {
  const check = (p: Program, c: { root: number; inner: readonly number[] }): boolean => innerReadOnlyByComposite(p, c, useCounts(p), new Set(p.outputs.map((o) => o.id)));

  it("holds for a composite alone, and fails when an inner node is also an output or read elsewhere", () => {
    const alone = optimize(unary([4, 3], (x) => softmax(x, -1)));
    expect(check(alone, findComposites(alone).get(outputId(alone))!)).toBe(true);
    const exposed = optimize(trace({ x: input([4, 3]) }, ({ x }) => ({ y: softmax(x, -1), m: ops.max(x, -1, true) })));
    expect(check(exposed, findComposites(exposed).get(outputId(exposed))!)).toBe(false);
    const reread = optimize(trace({ x: input([4, 3]) }, ({ x }) => ({ y: softmax(x, -1), t: ops.mul(ops.exp(ops.sub(x, ops.max(x, -1, true))), 2) })));
    expect(check(reread, findComposites(reread).get(outputId(reread))!)).toBe(false);
  });

  it("checks a record's optional parts: a softmax's row-bias subtraction and the Yang bias's nodes", () => {
    const p = optimize(
      trace({ z: input([2, 5, 3]) }, ({ z }) => {
        const q = ops.mul(ops.swapLastAxes(ops.sum(ops.mul(z, z), -1, true)), 0.5);
        return { y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), q), -1), q };
      }),
    );
    const yang = findComposites(p, ["yangAttention"]).get(outputId(p))!;
    expect(check(p, yang)).toBe(true);
    expect(check(p, { root: yang.root, inner: [...yang.softmax.inner, yang.softmax.rowBias.sub] })).toBe(true);
    // The bias is an output too: its nodes must still be computed.
    expect(check(p, { root: yang.softmax.rowBias.sub, inner: yang.yangBias! })).toBe(false);
    const readTwice = optimize(
      trace({ z: input([2, 5, 3]) }, ({ z }) => {
        const q = ops.mul(ops.swapLastAxes(ops.sum(ops.mul(z, z), -1, true)), 0.5);
        return { y: softmax(ops.sub(ops.matmul(z, ops.swapLastAxes(z)), q), -1), q2: ops.mul(q, 3) };
      }),
    );
    const again = findComposites(readTwice, ["yangAttention"]).get(outputId(readTwice))!;
    expect(again.yangBias).toHaveLength(4);
    // Read by another node than the subtraction: not the composite's alone.
    expect(check(readTwice, { root: again.softmax.rowBias.sub, inner: again.yangBias! })).toBe(false);
    expect(check(p, yang)).toBe(true);
  });
});

describe("neededNodes", () => {
  it("keeps only a fused root's arguments, and internals still read elsewhere", () => {
    const alone = trace({ x: input([4, 3]) }, ({ x }) => ({ y: softmax(x, -1) }));
    const needed = neededNodes(alone, findComposites(alone));
    // The output and the input only: every internal node is skipped.
    expect([...needed].reduce((a, b) => a + b, 0)).toBe(2);
    const shared = trace({ x: input([4, 3]) }, ({ x }) => ({ y: softmax(x, -1), m: ops.max(x, -1, true) }));
    const fusedShared = findComposites(shared);
    expect(fusedShared.size).toBe(1);
    expect(neededNodes(shared, fusedShared)[outputId(shared, "m")]).toBe(1);
  });

  it("keeps both arguments of a two-argument composite", () => {
    const p = optimize(trace({ l: input([4, 5]), t: input([4, 5]) }, ({ l, t }) => ({ y: crossEntropy(l, t) })));
    const needed = neededNodes(p, findComposites(p, ["crossEntropy"]));
    expect(p.nodes.filter((n) => needed[n.id]).map((n) => n.op)).toEqual(["input", "input", "div"]);
  });
});
