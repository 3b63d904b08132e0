import { describe, expect, it } from "vitest";
import {
  type Program,
  UnfoldError,
  defineEnergy,
  defineUnfolding,
  differentiate,
  eliminateCommonSubexpressions,
  fingerprint,
  gradientStep,
  input,
  ops,
  optimize,
  param,
  printProgram,
  trace,
  unfoldedProgram,
} from "../src/index.js";
import { currentPlace, within } from "../src/errors.js";
import { splitLongSums } from "../src/passes/long-sums.js";

const energy = defineEnergy({
  name: "toy",
  params: {},
  terms: [
    { name: "pull", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), 0.5) },
    { name: "spread", value: (x) => ops.sum(ops.exp(x)) },
  ],
});

function stepProgram(): Program {
  return unfoldedProgram(defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1, name: "descend" })], layers: 1 }), [3, 4], "float64");
}

const origins = (p: Program): Set<string | undefined> => new Set(p.nodes.map((n) => n.origin));

describe("node origins", () => {
  it("record the term, the gradient of the term and the step each node was traced in", () => {
    const program = stepProgram();
    expect(origins(program)).toEqual(
      new Set([
        undefined,
        "term 'pull' of energy 'toy'",
        "term 'spread' of energy 'toy'",
        "the gradient of term 'pull' of energy 'toy'",
        "the gradient of term 'spread' of energy 'toy'",
        // The sum of the terms is the step's own.
        "the gradient of step 'descend' of energy 'toy'",
        "step 'descend' of energy 'toy'",
      ]),
    );
    // The exp of 'spread' and the rule's product with it.
    const exp = program.nodes.find((n) => n.op === "exp")!;
    expect(exp.origin).toBe("term 'spread' of energy 'toy'");
    const mulOfExp = program.nodes.find((n) => n.op === "mul" && n.inputs.includes(exp.id))!;
    expect(mulOfExp.origin).toBe("the gradient of term 'spread' of energy 'toy'");
    // The leaves come from no user code.
    expect(program.nodes.filter((n) => n.op === "input").map((n) => n.origin)).toEqual([undefined]);
  });

  it("survive the passes: optimize (folding included) and the long-sum split", () => {
    const optimized = optimize(stepProgram());
    // Only the state and the step size (a constant of the unfolding) come from no user code.
    expect(optimized.nodes.filter((n) => n.origin === undefined).map((n) => n.op)).toEqual(["input", "constant"]);
    expect(optimized.nodes.length).toBeGreaterThan(4);
    const long = trace({ x: input([4100], "float32") }, ({ x }) => within("term 't' of energy 'e'", () => ({ s: ops.sum(x) })));
    const split = splitLongSums(long);
    expect(split.nodes.length).toBeGreaterThan(long.nodes.length);
    for (const n of split.nodes.slice(1)) expect(n.origin, `%${n.id} ${n.op}`).toBe("term 't' of energy 'e'");
  });

  it("never change a fingerprint or keep CSE from merging equal nodes", () => {
    const program = stepProgram();
    const stripped: Program = { ...program, nodes: program.nodes.map(({ origin: _origin, ...n }) => n) };
    expect(stripped.nodes.some((n) => n.origin !== undefined)).toBe(false);
    expect(fingerprint(program)).toBe(fingerprint(stripped));
    expect(fingerprint(optimize(program))).toBe(fingerprint(optimize(stripped)));
    // The same x * x in two terms is one node after CSE, whatever their origins.
    const twice = trace({ x: input([2]) }, ({ x }) => ({
      a: within("term 'a' of energy 'e'", () => ops.mul(x, x)),
      b: within("term 'b' of energy 'e'", () => ops.mul(x, x)),
    }));
    const merged = eliminateCommonSubexpressions(twice);
    expect(merged.outputs[0]!.id).toBe(merged.outputs[1]!.id);
  });

  it("are kept when a program is replayed, so differentiate() names the gradient's origin too", () => {
    const program = trace({ x: input([3]), w: param([3]) }, ({ x, w }) => within("term 't' of energy 'e'", () => ({ loss: ops.sum(ops.mul(x, w).exp()) })));
    const derived = differentiate(program, { of: "loss" });
    expect(origins(derived)).toEqual(new Set([undefined, "term 't' of energy 'e'", "the gradient of term 't' of energy 'e'"]));
  });

  it("are shown by printProgram", () => {
    expect(printProgram(stepProgram())).toMatch(/= exp\(%\d+\) +: float64\[3, 4\] \(term 'spread' of energy 'toy'\)/);
  });

  it("end with the user code: the place is unwound after a return and after an error", () => {
    expect(currentPlace()).toBeUndefined();
    within("term 'a' of energy 'e'", () => expect(currentPlace()).toBe("term 'a' of energy 'e'"));
    expect(() => within("term 'b' of energy 'e'", () => within("term 'c' of energy 'e'", () => {
      throw new UnfoldError("mul", "bad shapes");
    }))).toThrow("mul: bad shapes (in term 'c' of energy 'e')");
    expect(currentPlace()).toBeUndefined();
    const after = trace({ x: input([2]) }, ({ x }) => ({ y: ops.exp(x) }));
    expect(origins(after)).toEqual(new Set([undefined]));
  });
});
