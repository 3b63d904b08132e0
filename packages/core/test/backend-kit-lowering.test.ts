import { describe, expect, it } from "vitest";
import { BINARY_OPS, type BinaryOp, computedOps, familyLowering, input, type LoweringTable, lowerNode, type Node, type NodeOf, type SpecOf, trace, UNARY_OPS, type UnaryOp, UnfoldError } from "../src/index.js";

/** A complete table naming each node's op and one field that only that op has. */
const describeOp: LoweringTable<string, string> = {
  ...familyLowering(UNARY_OPS, (node, prefix) => `${prefix}unary ${node.op}`),
  ...familyLowering(BINARY_OPS, (node, prefix) => `${prefix}binary ${node.op}`),
  cast: (node, prefix) => `${prefix}cast to ${node.to}`,
  sum: (node, prefix) => `${prefix}sum over ${node.axes.join(",")}`,
  reduceMax: (node, prefix) => `${prefix}max over ${node.axes.join(",")}`,
  matmul: (_node, prefix) => `${prefix}matmul`,
  reshape: (_node, prefix) => `${prefix}reshape`,
  broadcast: (_node, prefix) => `${prefix}broadcast`,
  transpose: (node, prefix) => `${prefix}transpose ${node.perm.join(",")}`,
  slice: (node, prefix) => `${prefix}slice from ${node.begin.join(",")}`,
  concat: (node, prefix) => `${prefix}concat on ${node.axis}`,
  gather: (node, prefix) => `${prefix}gather on ${node.axis}`,
  scatterAdd: (node, prefix) => `${prefix}scatterAdd on ${node.axis}`,
};

describe("LoweringTable", () => {
  it("is a compile error without an entry for every computed op, or with an entry for a leaf", () => {
    // These checks are made by tsc over the test files (the package's typecheck); each table
    // below must fail to type-check, or the directive itself is an error.
    const { matmul: _dropped, ...withoutMatmul } = describeOp;
    // @ts-expect-error matmul has no entry
    const missing: LoweringTable<string, string> = withoutMatmul;
    // @ts-expect-error a matmul node has no axes: each entry sees its own op's fields
    const wrongFields: LoweringTable<string, string> = { ...describeOp, matmul: (node: NodeOf<"sum">) => node.axes.join(",") };
    // @ts-expect-error one elementwise op's entry gets that op's nodes, not a reduction's
    const wrongFamily: LoweringTable<string, string> = { ...describeOp, neg: (node: NodeOf<"sum">) => node.axes.join(",") };
    // @ts-expect-error one op of a family has a spec of its own, not an empty one
    const wrongOp: SpecOf<"neg"> = { op: "exp" };
    const rightOp: SpecOf<"neg"> = { op: "neg" };
    expect([wrongOp.op, rightOp.op]).toEqual(["exp", "neg"]);
    // @ts-expect-error the family helper only takes computed ops
    familyLowering(["input"], () => "leaf");
    expect(Object.keys(missing)).not.toContain("matmul");
    expect(Object.keys(wrongFields)).toContain("matmul");
    expect(Object.keys(wrongFamily)).toContain("neg");
  });

  it("has, spread from the family records, an entry for exactly the computed ops", () => {
    expect(Object.keys(describeOp).sort()).toEqual(computedOps().sort());
    const unary = familyLowering(UNARY_OPS, (node: NodeOf<UnaryOp>) => node.op);
    const binary = familyLowering(BINARY_OPS, (node: NodeOf<BinaryOp>) => node.op);
    expect(Object.keys(unary)).toEqual([...UNARY_OPS]);
    expect(Object.keys(binary)).toEqual([...BINARY_OPS]);
  });
});

describe("lowerNode", () => {
  const program = trace({ x: input([2, 3]) }, ({ x }) => ({ y: x.exp().transpose([1, 0]).sum([0]) }));
  const byOp = (op: Node["op"]): Node => program.nodes.find((n) => n.op === op)!;

  it("applies the node's own entry, with the context", () => {
    expect(lowerNode(describeOp, byOp("exp"), "> ", "test backend")).toBe("> unary exp");
    expect(lowerNode(describeOp, byOp("sum"), "", "test backend")).toBe("sum over 0");
    expect(lowerNode(describeOp, byOp("transpose"), "", "test backend")).toBe("transpose 1,0");
  });

  const refusal = (node: Node): Error => {
    try {
      lowerNode(describeOp, node, "", "test backend");
    } catch (e) {
      return e as Error;
    }
    throw new Error("expected a throw");
  };

  it("refuses a leaf, naming the op, the backend and the node", () => {
    const leaf = byOp("input");
    const error = refusal(leaf);
    expect(error).toBeInstanceOf(UnfoldError);
    expect(error.message).toBe(`input: is a leaf and has no lowering in test backend (node %${leaf.id})`);
  });

  // A program built outside the tracer (or by a newer core) may carry an op no table knows; an
  // op named like an Object.prototype member must not find that member instead of an entry.
  for (const op of ["erf", "toString", "constructor"]) {
    it(`refuses an unknown op '${op}', naming it, the backend and the node`, () => {
      const exp = byOp("exp");
      const error = refusal({ ...exp, op } as unknown as Node);
      expect(error).toBeInstanceOf(UnfoldError);
      expect(error.message).toBe(`${op}: has no lowering in test backend (node %${exp.id})`);
    });
  }
});
