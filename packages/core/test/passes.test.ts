import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Node,
  type Program,
  Random,
  type Tensor,
  UnfoldError,
  differentiate,
  eliminateCommonSubexpressions,
  eliminateDeadCode,
  foldConstants,
  gradients,
  input,
  interpret,
  layerNorm,
  ops,
  optimize,
  param,
  relativeError,
  sigmoid,
  simplify,
  softmax,
  trace,
} from "../src/index.js";
import { nodeKey } from "../src/ir/program.js";
import { collidingDoubles } from "./helpers.js";

/** Random float64 values for every feed of a program, from a seed. */
function feedsFor(program: Program, seed: number): Map<string, Float64Array> {
  const rng = new Random(seed);
  return new Map(program.feeds.map((f) => [f.name, rng.normals(f.shape.reduce((p, d) => p * d, 1))]));
}

/** Every output of `after` matches `before`: finite values to ~1e-14, non-finite ones exactly. */
function expectSameOutputs(before: Program, after: Program, seed: number): void {
  const feeds = feedsFor(before, seed);
  const want = interpret(before, feeds);
  const got = interpret(after, feeds);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.length, name).toBe(w.length);
    const finite = (v: Float64Array, keep: (i: number) => boolean): number[] => Array.from(v).filter((_, i) => keep(i));
    const isFinite = (i: number): boolean => Number.isFinite(w[i]!);
    for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i]!)) expect(Object.is(g[i], w[i]) || (Number.isNaN(g[i]!) && Number.isNaN(w[i]!)), name).toBe(true);
    expect(relativeError(finite(g, isFinite), finite(w, isFinite)), name).toBeLessThanOrEqual(1e-14);
  }
}

const opsOf = (p: Program): string[] => p.nodes.map((n) => n.op);
const outNode = (p: Program, name: string): Node => p.nodes[p.outputs.find((o) => o.name === name)!.id]!;

describe("eliminateDeadCode", () => {
  it("removes nodes no output uses but keeps every feed, even unused ones", () => {
    const program = trace({ x: input([2]), unused: input([3]), w: param([2]) }, ({ x }) => {
      x.exp();
      x.tanh().neg();
      return x.mul(2);
    });
    expect(program.nodes).toHaveLength(8);
    const dce = eliminateDeadCode(program);
    expect(opsOf(dce)).toEqual(["input", "input", "param", "constant", "mul"]);
    expect(dce.feeds.map((f) => [f.name, f.kind, f.shape])).toEqual([
      ["x", "input", [2]],
      ["unused", "input", [3]],
      ["w", "param", [2]],
    ]);
    expect(dce.nodes.every((n, i) => n.id === i && n.inputs.every((j) => j < i))).toBe(true);
    expectSameOutputs(program, dce, 1);
  });

  it("returns a program with nothing dead unchanged", () => {
    const program = trace({ x: input([2]) }, ({ x }) => x.exp());
    expect(eliminateDeadCode(program)).toBe(program);
  });
});

describe("eliminateCommonSubexpressions", () => {
  it("merges duplicate subexpressions and equal constants", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }) => {
      const a = x.exp().mul(3);
      const b = x.exp().mul(3);
      return { a, b, s: a.add(b) };
    });
    const cse = eliminateCommonSubexpressions(program);
    expect(opsOf(cse)).toEqual(["input", "exp", "constant", "mul", "add"]);
    expect(cse.outputs.find((o) => o.name === "a")!.id).toBe(cse.outputs.find((o) => o.name === "b")!.id);
    expect(outNode(cse, "s").inputs).toEqual([3, 3]);
    expectSameOutputs(program, cse, 2);
  });

  it("does not merge different constants, or equal values of another shape, dtype or sign of zero", () => {
    const program = trace({ x: input([2]) }, ({ x }, g) => ({
      a: x.mul(2),
      b: x.mul(3),
      c: x.mul(g.constant(2, [1], "float64")),
      d: x.add(g.constant(0, [], "float64")).mul(g.constant(-0, [], "float64")),
      e: x.cast("float32").mul(2).cast("float64"),
    }));
    const cse = eliminateCommonSubexpressions(program);
    const constants = cse.nodes.filter((n) => n.op === "constant");
    // 2, 3, [2] (shape [1]), 0, -0 and float32 2 are all distinct.
    expect(constants).toHaveLength(6);
    expect(cse.nodes.filter((n) => n.op === "mul")).toHaveLength(5);
    expectSameOutputs(program, cse, 3);
  });

  it("confirms equal constant hashes value by value", () => {
    // Two different constants built so that nodeKey's hash of their bits collides.
    const [v1, v2] = collidingDoubles();
    const program = trace({ x: input([]) }, ({ x }, g) => ({
      a: x.mul(g.constant(v1, [], "float64")),
      b: x.mul(g.constant(v2, [], "float64")),
    }));
    const [c1, c2] = program.nodes.filter((n) => n.op === "constant");
    expect(nodeKey(c1!, [])).toBe(nodeKey(c2!, []));
    const cse = eliminateCommonSubexpressions(program);
    expect(cse.nodes.filter((n) => n.op === "constant")).toHaveLength(2);
    expect(cse.outputs[0]!.id).not.toBe(cse.outputs[1]!.id);
    expectSameOutputs(program, cse, 4);
  });
});

describe("foldConstants", () => {
  it("evaluates constant subgraphs into one constant", () => {
    const program = trace({ x: input([3]) }, ({ x }, g) => {
      const c = g.constant([1, 2, 3], [3], "float64").mul(2).add(1).exp().sum();
      return x.mul(c).named("y");
    });
    const folded = eliminateDeadCode(foldConstants(program));
    expect(opsOf(folded)).toEqual(["input", "constant", "mul"]);
    const c = folded.nodes[1] as Node & { value: Float64Array };
    expect(c.value[0]).toBeCloseTo(Math.exp(3) + Math.exp(5) + Math.exp(7), 10);
    expect(c.shape).toEqual([]);
    expectSameOutputs(program, folded, 5);
  });

  it("rounds folded float32 constants to float32", () => {
    const program = trace({ x: input([], "float32") }, ({ x }) => x.add(x.graph.constant(1, [], "float32").div(3)));
    const folded = eliminateDeadCode(foldConstants(program));
    const c = folded.nodes.find((n) => n.op === "constant") as Node & { value: Float64Array };
    expect(c.dtype).toBe("float32");
    expect(c.value[0]).toBe(Math.fround(Math.fround(1) / 3));
    expect(c.value[0]).not.toBe(1 / 3);
  });

  it("does not blow a broadcast scalar up into a huge constant", () => {
    const program = trace({ x: input([200, 300]) }, ({ x }) => x.mul(ops.zeros(x).add(2)));
    const folded = foldConstants(program);
    const largest = Math.max(...folded.nodes.filter((n) => n.op === "constant").map((n) => (n as { value: Float64Array }).value.length));
    expect(largest).toBe(1);
    expect(opsOf(folded)).toContain("broadcast");
    const optimized = optimize(program);
    expect(Math.max(...optimized.nodes.filter((n) => n.op === "constant").map((n) => (n as { value: Float64Array }).value.length))).toBe(1);
    expectSameOutputs(program, optimized, 6);
  });

  it("keeps a small broadcast a broadcast, and optimize absorbs it into the product", () => {
    const program = trace({ x: input([4, 4]) }, ({ x }) => x.mul(ops.zeros(x).add(2)));
    expect(opsOf(eliminateDeadCode(foldConstants(program)))).toContain("broadcast");
    const optimized = optimize(program);
    expect(opsOf(optimized)).toEqual(["input", "constant", "mul"]);
    expect(Array.from((optimized.nodes[1] as { value: Float64Array }).value)).toEqual([2]);
  });
});

describe("simplify", () => {
  it("removes x+0, 0+x, x-0, x*1, 1*x, x/1, neg(neg x) and stopGradient", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }) => ({
      a: x.add(0),
      b: ops.add(0, x),
      c: x.sub(0),
      d: x.mul(1),
      e: ops.mul(1, x),
      f: x.div(1),
      g: x.neg().neg(),
      h: ops.stopGradient(x),
      i: x.mul(1).add(0).neg().neg(),
    }));
    const s = eliminateDeadCode(simplify(program));
    for (const o of s.outputs) expect(o.id, o.name).toBe(0);
    expect(opsOf(s)).toEqual(["input"]);
    expectSameOutputs(program, s, 7);
  });

  it("keeps what is not an identity", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }) => ({
      a: x.add(1e-300),
      b: x.mul(2),
      c: x.neg(),
      d: ops.sub(0, x),
      e: x.transpose([1, 0]),
      f: x.reshape([3, 2]),
    }));
    const s = simplify(program);
    for (const o of s.outputs) expect(s.nodes[o.id]!.op, o.name).not.toBe("input");
    expectSameOutputs(program, s, 8);
  });

  it("removes identity reshapes and transposes and collapses reshape chains", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }, g) => ({
      a: g.emit({ op: "reshape" }, [x], [2, 3]),
      b: x.transpose([0, 1]),
      c: x.reshape([6]).reshape([3, 2]),
    }));
    const s = eliminateDeadCode(simplify(program));
    expect(outNode(s, "a").op).toBe("input");
    expect(outNode(s, "b").op).toBe("input");
    expect(outNode(s, "c").op).toBe("reshape");
    expect(outNode(s, "c").inputs).toEqual([0]);
    expect(opsOf(s)).toEqual(["input", "reshape"]);
    expectSameOutputs(program, s, 9);
  });

  it("removes a reshape chain that comes back to its source, even when the middle is still used", () => {
    const program = trace({ x: input([2, 3]) }, ({ x }) => {
      const flat = x.reshape([6]);
      return { flat, back: flat.reshape([2, 3]) };
    });
    const s = optimize(program);
    expect(outNode(s, "back").op).toBe("input");
    expectSameOutputs(program, s, 10);
  });

  it("never changes a shape: identities that broadcast stay", () => {
    const program = trace({ x: input([1, 3]), y: input([3]) }, ({ x, y }, g) => ({
      a: x.add(g.constant(0, [2, 3], "float64")),
      b: y.mul(g.constant(1, [2, 1], "float64")),
      c: ops.add(g.constant(0, [4, 1, 3], "float64"), x),
      d: x.div(g.constant(1, [2, 1], "float64")),
    }));
    const s = optimize(program);
    for (const o of program.outputs) {
      expect(s.nodes[s.outputs.find((q) => q.name === o.name)!.id]!.shape, o.name).toEqual(program.nodes[o.id]!.shape);
    }
    expect(outNode(s, "a").shape).toEqual([2, 3]);
    expectSameOutputs(program, s, 11);
  });
});

// ---------------------------------------------------------------------------------------------
// Random programs

interface Instr {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

const OP_COUNT = 29;

/** Appends one random operation to the pool; returns undefined where it does not fit the shapes. */
function applyInstr(ins: Instr, pool: Tensor[]): Tensor | undefined {
  const a = pool[ins.a % pool.length]!;
  const b = pool[ins.b % pool.length]!;
  const g = a.graph;
  const axis = a.rank ? ins.c % a.rank : 0;
  switch (ins.op) {
    case 0:
      return a.add(b);
    case 1:
      return a.sub(b);
    case 2:
      return a.mul(b).tanh();
    case 3:
      return a.div(b.mul(b).add(1));
    case 4:
      return a.tanh();
    case 5:
      return a.neg().neg();
    case 6:
      return a.add(0);
    case 7:
      return a.mul(1);
    case 8:
      return ops.stopGradient(a).mul(b);
    case 9:
      return a.tanh().exp();
    case 10:
      return a.rank ? a.sum(axis, ins.c % 2 === 0) : a.sum();
    case 11:
      return a.matmul(b);
    case 12:
      return a.rank >= 2 ? a.T : undefined;
    case 13:
      return a.reshape([-1]).reshape(a.shape);
    case 14:
      // The same expression twice: work for CSE.
      return a.mul(b).add(a.mul(b));
    case 15:
      return a.mul(g.constant(2.5, [], "float64")).add(g.constant(2.5, [], "float64"));
    case 16:
      return a.maximum(b);
    case 17:
      return a.add(ops.zeros(a));
    case 18:
      return a.transpose(a.shape.map((_, i) => i));
    case 19:
      return a.rank ? a.mean(axis, true) : a.mean();
    case 20:
      return a.rank ? softmax(a, -1) : undefined;
    case 21:
      return a.rank && a.shape.at(-1)! >= 2
        ? a.slice(
            a.shape.map((_, i) => (i === a.rank - 1 ? 1 : 0)),
            a.shape.map((d, i) => (i === a.rank - 1 ? d - 1 : d)),
          )
        : undefined;
    case 22:
      return a.rank && a.size <= 64 ? ops.concat([a, b.broadcastTo(a.shape)], 0) : undefined;
    case 23:
      // A constant subgraph: work for folding.
      return g.constant([1, 2, 3], [3], "float64").mul(0.5).exp().add(a);
    case 24:
      return sigmoid(a);
    case 25:
      return a.rank ? layerNorm(a) : undefined;
    case 26:
      return a.sub(0).div(1).mul(ops.zeros(a).add(1));
    case 27:
      // An identity only elementwise: it broadcasts, so it must stay.
      return a.size <= 64 ? a.add(g.constant(0, [2, ...a.shape], "float64")).mul(g.constant(1, [2, ...a.shape.map(() => 1)], "float64")) : undefined;
    default:
      return a.abs().add(b);
  }
}

const instrArb: fc.Arbitrary<Instr> = fc.record({
  op: fc.nat({ max: OP_COUNT - 1 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
});

const programArb = fc.record({
  instrs: fc.array(instrArb, { minLength: 1, maxLength: 20 }),
  outs: fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
});

const LEAVES = { x: input([2, 3]), c: input([2, 1]), w: param([3, 3]), b: param([3]) };

/** A random program over x, c, w, b with outputs y0.., a scalar loss and, optionally, its gradients. */
function randomProgram(instrs: readonly Instr[], outs: readonly number[], withGradients: boolean): Program {
  return trace(LEAVES, ({ x, c, w, b }) => {
    const pool: Tensor[] = [x, c, w, b];
    for (const ins of instrs) {
      try {
        const t = applyInstr(ins, pool);
        if (t) pool.push(t);
      } catch (e) {
        if (!(e instanceof UnfoldError)) throw e;
      }
    }
    // Something dead, so there is always something to remove.
    pool.at(-1)!.exp();
    const chosen = outs.map((i) => pool[i % pool.length]!);
    const loss = chosen.map((t) => t.mul(t).sum()).reduce((s, v) => s.add(v));
    const result: Record<string, Tensor> = { loss };
    chosen.forEach((t, i) => (result[`y${i}`] = t));
    if (withGradients) gradients(loss, [x, c, w, b]).forEach((gr, i) => (result[`g${i}`] = gr));
    return result;
  });
}

/** What an optimized program must no longer contain. */
function expectOptimizedShape(p: Program): void {
  const uses = new Uint8Array(p.nodes.length);
  for (const o of p.outputs) uses[o.id] = 1;
  for (const n of p.nodes) for (const i of n.inputs) uses[i] = 1;
  const keys = new Set<string>();
  for (const n of p.nodes) {
    expect(n.op).not.toBe("stopGradient");
    if (n.op !== "input" && n.op !== "param") expect(uses[n.id], `dead %${n.id} ${n.op}`).toBe(1);
    if (n.op === "neg") expect(p.nodes[n.inputs[0]!]!.op).not.toBe("neg");
    if (n.op === "transpose") expect(n.perm.every((q, i) => q === i)).toBe(false);
    if (n.op === "reshape" || n.op === "broadcast") expect(p.nodes[n.inputs[0]!]!.shape).not.toEqual(n.shape);
    // Small programs: every node whose inputs are all constants folds, unless folding would grow
    // a constant (a broadcast stays a broadcast).
    const inputSize = n.inputs.reduce((t, i) => t + p.nodes[i]!.shape.reduce((a, d) => a * d, 1), 0);
    const grows = n.shape.reduce((a, d) => a * d, 1) > inputSize;
    if (n.inputs.length > 0 && !grows) expect(n.inputs.every((i) => p.nodes[i]!.op === "constant"), `unfolded %${n.id} ${n.op}`).toBe(false);
    if (n.op !== "constant" && n.op !== "input" && n.op !== "param") {
      const key = nodeKey(n, n.inputs);
      expect(keys.has(key), `duplicate %${n.id}`).toBe(false);
      keys.add(key);
    }
  }
}

function expectSameInterface(before: Program, after: Program): void {
  expect(after.feeds.map((f) => [f.name, f.kind, f.shape, f.dtype])).toEqual(before.feeds.map((f) => [f.name, f.kind, f.shape, f.dtype]));
  expect(after.outputs.map((o) => o.name)).toEqual(before.outputs.map((o) => o.name));
  for (const o of before.outputs) {
    const n = after.nodes[after.outputs.find((q) => q.name === o.name)!.id]!;
    expect([n.shape, n.dtype]).toEqual([before.nodes[o.id]!.shape, before.nodes[o.id]!.dtype]);
  }
}

describe("optimize on random programs", () => {
  it("preserves every output and shrinks the program", () => {
    fc.assert(
      fc.property(programArb, ({ instrs, outs, seed }) => {
        const program = randomProgram(instrs, outs, false);
        const opt = optimize(program);
        expect(opt.nodes.length).toBeLessThan(program.nodes.length);
        expectSameInterface(program, opt);
        expectSameOutputs(program, opt, seed);
        expectOptimizedShape(opt);
      }),
      { numRuns: 150 },
    );
  });

  it("preserves the outputs of gradient programs built with gradients()", () => {
    fc.assert(
      fc.property(programArb, ({ instrs, outs, seed }) => {
        const program = randomProgram(instrs, outs, true);
        const opt = optimize(program);
        expect(opt.nodes.length).toBeLessThan(program.nodes.length);
        expectSameInterface(program, opt);
        expectSameOutputs(program, opt, seed);
        expectOptimizedShape(opt);
      }),
      { numRuns: 150 },
    );
  });

  it("preserves the outputs of programs built with differentiate()", () => {
    fc.assert(
      fc.property(programArb, ({ instrs, outs, seed }) => {
        const program = differentiate(randomProgram(instrs, outs, false), { of: "loss", wrt: ["x", "c", "w", "b"] });
        expect(program.outputs.map((o) => o.name)).toContain("grad_w");
        const opt = optimize(program);
        expect(opt.nodes.length).toBeLessThan(program.nodes.length);
        expectSameInterface(program, opt);
        expectSameOutputs(program, opt, seed);
        expectOptimizedShape(opt);
      }),
      { numRuns: 100 },
    );
  });

  it("each pass alone preserves the outputs", () => {
    const passes = [eliminateDeadCode, eliminateCommonSubexpressions, foldConstants, simplify];
    fc.assert(
      fc.property(programArb, fc.nat({ max: passes.length - 1 }), ({ instrs, outs, seed }, k) => {
        const program = randomProgram(instrs, outs, true);
        const after = passes[k]!(program);
        expect(after.nodes.length).toBeLessThanOrEqual(program.nodes.length);
        expect(after.nodes.every((n, i) => n.id === i && n.inputs.every((j) => j < i))).toBe(true);
        expectSameInterface(program, after);
        expectSameOutputs(program, after, seed);
      }),
      { numRuns: 150 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(programArb, ({ instrs, outs }) => {
        const once = optimize(randomProgram(instrs, outs, true));
        expect(optimize(once).nodes.length).toBe(once.nodes.length);
      }),
      { numRuns: 60 },
    );
  });

  it("shrinks a typical gradient program a lot and keeps its values", () => {
    const program = trace({ x: input([4, 3]), w: param([3, 2]) }, ({ x, w }) => {
      const loss = softmax(x.matmul(w)).mul(x.matmul(w)).sum();
      const [gw] = gradients(loss, [w]);
      return { loss, gw: gw! };
    });
    const opt = optimize(program);
    expect(opt.nodes.length).toBeLessThan(0.8 * program.nodes.length);
    expectSameOutputs(program, opt, 12);
    expectOptimizedShape(opt);
  });
});

describe("simplify: reductions over size-1 axes", () => {
  it("removes a sum or max over size-1 axes only, keeping real reductions", () => {
    const program = trace({ x: input([3, 1, 4]) }, ({ x }) => ({
      one: x.sum(1, true).mul(2),
      oneMax: x.max(1, true).add(1),
      real: x.sum(2, true),
    }));
    const out = simplify(program);
    const ops = out.nodes.map((n) => n.op);
    expect(ops.filter((o) => o === "sum")).toHaveLength(1);
    expect(ops).not.toContain("reduceMax");
    const feeds = new Map([["x", Float64Array.from({ length: 12 }, (_, i) => i - 5.5)]]);
    const before = interpret(program, feeds);
    const after = interpret(out, feeds);
    for (const name of ["one", "oneMax", "real"]) expect(Array.from(after.get(name)!)).toEqual(Array.from(before.get(name)!));
  });
});
