// findComposites recognises core's own decompositions (softmax, logSoftmax, logsumexp, layerNorm)
// by structure, on any axis, after optimize; a tagged node whose structure was changed is not
// matched; neededNodes drops a matched composite's internals unless something else reads them.
import { describe, expect, it } from "vitest";
import { type Program, findComposites, input, layerNorm, logSoftmax, logsumexp, neededNodes, ops, optimize, sigmoid, softmax, trace } from "../src/index.js";

const kinds = (p: Program): string[] => [...findComposites(p).values()].map((c) => `${c.kind}@${c.axis}`).sort();

describe("findComposites", () => {
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
    // As traced, layerNorm computes x - mean twice (once inside moments); optimize's CSE makes
    // them one node, which is the structure matched.
    expect(kinds(program)).toEqual(expected.filter((k) => !k.startsWith("layerNorm")));
    const optimized = optimize(program);
    expect(kinds(optimized)).toEqual(expected);
    for (const c of findComposites(optimized).values()) {
      expect(optimized.nodes[c.input]!.op).toBe("input");
      if (c.kind === "layerNorm") expect(c.eps).toBeGreaterThan(0);
    }
  });

  it("does not match a tagged node whose structure is not the decomposition", () => {
    const program = trace({ x: input([2, 6]) }, ({ x }) => ({ s: softmax(x, -1) }));
    const root = program.outputs[0]!.id;
    // Point the softmax root's denominator at another sum (over the other axis): same tag, other math.
    const nodes = program.nodes.map((n) => ({ ...n }));
    const sum = nodes[nodes[root]!.inputs[1]!]!;
    nodes[sum.id] = { ...sum, axes: [0] } as never;
    expect(findComposites({ ...program, nodes })).toEqual(new Map());
  });

  it("neededNodes keeps only the composite's input for a fused root, and internals still read elsewhere", () => {
    const alone = trace({ x: input([4, 3]) }, ({ x }) => ({ y: softmax(x, -1) }));
    const fusedAlone = findComposites(alone);
    const needed = neededNodes(alone, fusedAlone);
    // The output and the input only: every internal node is skipped.
    expect([...needed].reduce((a, b) => a + b, 0)).toBe(2);
    const shared = trace({ x: input([4, 3]) }, ({ x }) => {
      const y = softmax(x, -1);
      return { y, m: ops.max(x, -1, true) };
    });
    const fusedShared = findComposites(shared);
    expect(fusedShared.size).toBe(1);
    const keep = neededNodes(shared, fusedShared);
    const maxId = shared.outputs.find((o) => o.name === "m")!.id;
    expect(keep[maxId]).toBe(1);
  });
});
