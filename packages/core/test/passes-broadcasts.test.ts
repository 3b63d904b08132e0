import { describe, expect, it } from "vitest";
import {
  type Node,
  type Program,
  Random,
  type Tensor,
  defineEnergy,
  defineUnfolding,
  foldConstants,
  gradientStep,
  gradients,
  input,
  interpret,
  ops,
  optimize,
  relativeError,
  trace,
  unfoldedProgram,
} from "../src/index.js";
import { sinkBroadcasts } from "../src/passes/broadcasts.js";

function feedsFor(program: Program, seed: number): Map<string, Float64Array> {
  const rng = new Random(seed);
  return new Map(program.feeds.map((f) => [f.name, rng.normals(f.shape.reduce((p, d) => p * d, 1))]));
}

function expectSameOutputs(before: Program, after: Program): void {
  const feeds = feedsFor(before, 3);
  const want = interpret(before, feeds);
  const got = interpret(after, feeds);
  for (const [name, w] of want) expect(relativeError(Array.from(got.get(name)!), Array.from(w)), name).toBeLessThanOrEqual(1e-14);
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
const opNodes = (p: Program, op: string): Node[] => p.nodes.filter((n) => n.op === op);

/** A program computing f(x, broadcast(y)), with x [3, 4, 5] and y a small input broadcast to x's shape or to `to`. */
function withBroadcast(y: readonly number[], f: (x: Tensor, b: Tensor) => Tensor, to: readonly number[] = [3, 4, 5]): Program {
  return trace({ x: input([3, 4, 5]), y: input(y) }, ({ x, y: v }) => ({ out: f(x, ops.broadcastTo(v, to)) }));
}

/** Each case: the op that consumes a broadcast, and the largest result that op may still have once the broadcast has moved past it. */
const CASES: readonly { name: string; program: Program; op: string; largest: number }[] = [
  { name: "unary", program: withBroadcast([1, 4, 1], (_x, b) => b.exp()), op: "exp", largest: 4 },
  { name: "cast", program: withBroadcast([5], (_x, b) => b.cast("float32")), op: "cast", largest: 5 },
  { name: "binary with a full operand (absorbed)", program: withBroadcast([4, 1], (x, b) => x.mul(b)), op: "mul", largest: 60 },
  { name: "binary of two broadcasts", program: withBroadcast([1, 5], (_x, b) => b.add(ops.broadcastTo(b.graph.tensor(1), [3, 4, 5]))), op: "add", largest: 5 },
  { name: "reshape keeping the leading axes", program: withBroadcast([1, 4, 5], (_x, b) => b.reshape([3, 20])), op: "reshape", largest: 20 },
  { name: "reshape adding a size-1 axis", program: withBroadcast([], (_x, b) => b.reshape([3, 4, 5, 1]), [3, 4, 5]), op: "reshape", largest: 1 },
  { name: "transpose", program: withBroadcast([4, 1], (_x, b) => b.transpose([2, 0, 1])), op: "transpose", largest: 4 },
  { name: "slice", program: withBroadcast([1, 4, 1], (_x, b) => b.slice([1, 1, 2], [2, 3, 3])), op: "slice", largest: 3 },
  { name: "sum over a broadcast axis", program: withBroadcast([1, 4, 1], (_x, b) => ops.sumKeep(b, [0, 2])), op: "sum", largest: 4 },
  { name: "reduceMax over a broadcast axis", program: withBroadcast([1, 4, 5], (_x, b) => b.max([0, 2], true)), op: "reduceMax", largest: 4 },
  {
    name: "matmul, broadcast left operand",
    program: trace({ y: input([1, 5]), w: input([5, 2]) }, ({ y, w }) => ({ out: ops.matmul(ops.broadcastTo(y, [6, 5]), w) })),
    op: "matmul",
    largest: 2,
  },
  {
    name: "matmul, broadcast right operand",
    program: trace({ a: input([3, 2, 5]), y: input([5, 1]) }, ({ a, y }) => ({ out: ops.matmul(a, ops.broadcastTo(y, [3, 5, 4])) })),
    op: "matmul",
    largest: 6,
  },
  { name: "broadcast of a broadcast", program: withBroadcast([5], (_x, b) => ops.broadcastTo(b, [2, 3, 4, 5])), op: "broadcast", largest: 120 },
];

describe("sinkBroadcasts", () => {
  for (const c of CASES) {
    it(`moves a broadcast past ${c.name}, computing the same values`, () => {
      const before = opNodes(c.program, c.op).filter((n) => n.inputs.some((i) => c.program.nodes[i]!.op === "broadcast"));
      expect(before.length, "the case feeds a broadcast to the op").toBeGreaterThan(0);
      const after = optimize(sinkBroadcasts(c.program));
      const sunk = sinkBroadcasts(c.program);
      for (const n of opNodes(sunk, c.op)) {
        expect(size(n.shape), `${c.op} %${n.id} ${JSON.stringify(n.shape)}`).toBeLessThanOrEqual(c.largest);
        expect(n.inputs.every((i) => sunk.nodes[i]!.op !== "broadcast"), `%${n.id} reads a broadcast`).toBe(true);
      }
      expectSameOutputs(c.program, sunk);
      expectSameOutputs(c.program, after);
    });
  }

  it("keeps the user's label on the value that replaces the node", () => {
    const program = withBroadcast([4, 1], (_x, b) => b.exp().named("scores"));
    const sunk = sinkBroadcasts(program);
    expect(sunk.nodes[sunk.outputs[0]!.id]!.label).toBe("scores");
  });

  it("leaves a sum over an empty axis alone", () => {
    const program = trace({ y: input([1, 3]) }, ({ y }) => ({ out: ops.sumKeep(ops.broadcastTo(y, [0, 3]), [0]) }));
    expect(sinkBroadcasts(program).nodes.map((n) => n.op)).toEqual(program.nodes.map((n) => n.op));
    expectSameOutputs(program, sinkBroadcasts(program));
  });
});

describe("folding and autodiff cotangents", () => {
  it("never grows a constant: a broadcast of a scalar stays a broadcast", () => {
    const program = trace({ x: input([6, 16]) }, ({ x }, g) => ({ out: ops.concat([g.constant(2, [], "float64").broadcastTo([6, 16]), x], 1) }));
    const folded = foldConstants(program);
    expect(folded.nodes.filter((n) => n.op === "constant").every((n) => size(n.shape) === 1)).toBe(true);
    expect(folded.nodes.some((n) => n.op === "broadcast")).toBe(true);
    // What does not grow still folds: a concatenation of constants.
    const concat = trace({ x: input([6]) }, ({ x }, g) => ({ out: x.add(ops.concat([g.constant([1, 2], [2], "float64"), g.constant([3, 4, 5, 6], [4], "float64")], 0)) }));
    expect(foldConstants(concat).nodes.filter((n) => n.op === "concat")).toHaveLength(0);
  });

  it("leaves the gradient of 1/2 ||X||^2 without a broadcast or a constant of the traced shape", () => {
    const energy = defineEnergy({ name: "quad", params: {}, terms: [{ name: "half", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), 0.5) }] });
    const program = unfoldedProgram(defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1 })], layers: 2 }), [6, 16], "float64");
    const optimized = optimize(program);
    expect(optimized.nodes.filter((n) => n.op === "broadcast")).toHaveLength(0);
    for (const n of optimized.nodes) if (n.op === "constant") expect(size(n.shape), `constant %${n.id} ${JSON.stringify(n.shape)}`).toBe(1);
    expectSameOutputs(program, optimized);
  });

  it("absorbs the broadcast cotangents of mean, exp and matmul into the ops that read them", () => {
    const program = trace({ x: input([6, 4, 5]), w: input([5, 3]) }, ({ x, w }) => {
      const e = ops.sum(ops.mean(ops.matmul(x, w).exp(), [1, 2]));
      return { g: gradients(e, [x])[0]! };
    });
    const optimized = optimize(program);
    for (const n of optimized.nodes) {
      if (n.op === "broadcast" || n.op === "constant") expect(n.shape[0] === 6 && n.shape.length > 1, `${n.op} %${n.id} ${JSON.stringify(n.shape)}`).toBe(false);
    }
    expectSameOutputs(program, optimized);
  });
});
