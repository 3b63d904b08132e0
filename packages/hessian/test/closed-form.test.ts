import { Graph, ReferenceBackend, hessian, interpret, ops, relativeError } from "@unfold/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AttentionHessian,
  BLOCK_NAMES,
  CANONICAL_BLOCKS,
  CurvatureProducts,
  assembleDense,
  attentionFeeds,
  attentionModel,
  blockOf,
  matrix,
  randomAttentionInstance,
  selfAttention,
  attentionLoss,
  transpose,
  verifyClosedForm,
} from "../src/index.js";

describe("closed-form self-attention Hessian blocks", () => {
  it("match the dense autodiff Hessian, GGN and functional part on every block (float64, both losses)", async () => {
    const report = await verifyClosedForm({
      shapes: [
        { tokens: 3, model: 2, key: 2 },
        { tokens: 4, model: 3, key: 2, out: 4 },
      ],
    });
    expect(report.cases).toHaveLength(4);
    for (const c of report.cases) for (const b of CANONICAL_BLOCKS) expect(c.blocks[b], `${c.loss} ${b}`).toBeLessThan(1e-10);
    expect(report.maxRelErr).toBeLessThan(1e-10);
  });

  it("hold on random shapes and scales (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ tokens: fc.integer({ min: 1, max: 4 }), model: fc.integer({ min: 1, max: 3 }), key: fc.integer({ min: 1, max: 3 }), out: fc.integer({ min: 1, max: 3 }) }),
        fc.constantFrom("mse" as const, "crossEntropy" as const),
        fc.integer({ min: 1, max: 1000 }),
        async (shape, loss, seed) => {
          const report = await verifyClosedForm({ shapes: [shape], losses: [loss], seed });
          expect(report.maxRelErr).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("judge a block far smaller than the Hessian by the Hessian's scale (a saturated softmax leaves QQ and KK near 1e-11 of it)", async () => {
    // fast-check's counterexample: per-block relative error read 5e-5 here, all of it float64 rounding.
    const report = await verifyClosedForm({ shapes: [{ tokens: 2, model: 1, key: 1, out: 1 }], losses: ["mse"], seed: 8 });
    expect(report.maxRelErr).toBeLessThan(1e-9);
  });

  it("assemble into the Hessian the core's symbolic dense hessian() gives", async () => {
    const instance = randomAttentionInstance({ tokens: 3, model: 2, key: 2, loss: "mse", seed: 5 });
    const closed = new AttentionHessian(instance);
    const n = closed.totalSize;
    const graph = new Graph();
    const theta = graph.leaf("input", "theta", [n]);
    const X = graph.leaf("input", "X", [3, 2]);
    const Y = graph.leaf("input", "target", [3, 2]);
    const lossOf = (t: typeof theta): typeof theta => {
      const [Q, K, V] = [0, 4, 8].map((start) => ops.reshape(ops.slice(t, [start], [4]), [2, 2])) as [typeof theta, typeof theta, typeof theta];
      return attentionLoss(selfAttention(X, Q, K, V), Y, "mse");
    };
    const program = graph.toProgram({ h: hessian(lossOf)(theta) });
    const feeds = attentionFeeds(instance);
    const out = interpret(program, new Map([["theta", feeds.theta], ["X", feeds.inputs.X], ["target", feeds.inputs.target]]));
    expect(relativeError(closed.assemble().data, out.get("h")!)).toBeLessThan(1e-12);
  });

  it("are symmetric where they should be: H(Q,Q) and H(K,K), and H(Q,V) = H(V,Q)^T", () => {
    const closed = new AttentionHessian(randomAttentionInstance({ tokens: 4, model: 3, key: 2, loss: "crossEntropy", seed: 2 }));
    for (const name of ["QQ", "KK", "VV"]) {
      const b = closed.block(name);
      expect(relativeError(transpose(b).data, b.data)).toBeLessThan(1e-13);
    }
    expect(relativeError(closed.block("QV").data, transpose(closed.block("VQ")).data)).toBe(0);
    const full = closed.assemble();
    for (const name of BLOCK_NAMES) expect(relativeError(blockOf(closed, full, name).data, closed.block(name).data)).toBeLessThan(1e-13);
  });

  it("have the structure docs/mathematics.md states: H_f(V,V) = 0, a PSD outer part, and T-functional only in QK", () => {
    const closed = new AttentionHessian(randomAttentionInstance({ tokens: 4, model: 3, key: 3, loss: "mse", seed: 3 }));
    expect(closed.block("VV", "functional").data.every((v) => v === 0)).toBe(true);
    for (const name of ["VV", "QQ", "KK", "VQ"]) if (name !== "QK") expect(closed.block(name, "tFunctional").data.every((v) => v === 0)).toBe(true);
    expect(closed.block("QK", "tFunctional").data.some((v) => v !== 0)).toBe(true);
    const outer = closed.assemble("outer");
    const v = Float64Array.from({ length: outer.rows }, (_, i) => Math.sin(3 * i + 1));
    let quad = 0;
    for (let i = 0; i < outer.rows; i++) for (let j = 0; j < outer.cols; j++) quad += v[i]! * outer.data[i * outer.cols + j]! * v[j]!;
    expect(quad).toBeGreaterThanOrEqual(0);
  });

  it("GGN and functional products add up to the Hessian product on any backend run", async () => {
    const instance = randomAttentionInstance({ tokens: 3, model: 3, key: 2, loss: "crossEntropy", seed: 9 });
    const products = await CurvatureProducts.create(new ReferenceBackend(), attentionModel({ tokens: 3, model: 3, key: 2, out: 3 }, "crossEntropy"), attentionFeeds(instance));
    const v = Float64Array.from({ length: products.size }, (_, i) => Math.cos(i));
    const { hessian: h, ggn, functional } = await products.applyAll(v);
    expect(relativeError(ggn.map((g, i) => g + functional[i]!), h)).toBeLessThan(1e-13);
    const dense = await assembleDense(products.block("ggn", "V", "Q"));
    expect(relativeError(dense.data, new AttentionHessian(instance).block("VQ", "outer").data)).toBeLessThan(1e-12);
  });
});

describe("bad input", () => {
  const good = randomAttentionInstance({ tokens: 3, model: 2, key: 2, loss: "mse", seed: 1 });

  it("mismatched shapes name the matrix and both shapes", () => {
    expect(() => new AttentionHessian({ ...good, WK: matrix(3, 2) })).toThrow(/W_K is 3 x 2, expected 2 x 2/);
    expect(() => new AttentionHessian({ ...good, target: matrix(2, 2) })).toThrow(/target is 2 x 2, expected 3 x 2/);
    expect(() => matrix(2, 2, [1, 2, 3])).toThrow(/3 values do not fill a 2 x 2 matrix/);
  });

  it("a block or part that does not exist is an error listing the ones that do", () => {
    const h = new AttentionHessian(good);
    expect(() => h.block("QO")).toThrow(/unknown block 'QO' \(blocks: QQ, QK, QV/);
    expect(() => h.block("QQ", "second")).toThrow(/unknown Hessian part 'second'/);
    expect(() => new AttentionHessian({ ...good, loss: "hinge" as never })).toThrow(/unknown loss 'hinge'/);
  });

  it("products reject unknown parameters, inputs and wrong vector sizes", async () => {
    const products = await CurvatureProducts.create(new ReferenceBackend(), attentionModel({ tokens: 3, model: 2, key: 2, out: 2 }, "mse"), attentionFeeds(good));
    expect(() => products.block("hessian", "O")).toThrow(/unknown parameter block 'O' \(parameters: Q, K, V\)/);
    await expect(products.applyAll(new Float64Array(3))).rejects.toThrow(/vector has 3 values, expected 12/);
    await expect(CurvatureProducts.create(new ReferenceBackend(), attentionModel({ tokens: 3, model: 2, key: 2, out: 2 }, "mse"), { ...attentionFeeds(good), inputs: { X: new Float64Array(6), target: new Float64Array(5) } })).rejects.toThrow(
      /input 'target' has 5 values, .* expects \[3, 2\]/,
    );
  });
});
