// implicitGradient refuses what it cannot do, each error naming the option or the step.
import { describe, expect, it } from "vitest";
import { defineUnfolding, hostTensor, implicitGradient } from "../../src/index.js";
import { backend, d, gd, n, problem, quadratic } from "../unfold/fixtures.js";

const p = problem(11);
const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 2 });
const base = { state: p.state, params: p.params, cotangent: p.state };
const call = (options: Record<string, unknown>, model = unfolding) => implicitGradient(model, backend, { ...base, ...options } as never);

describe("implicitGradient bad inputs", () => {
  it("refuses adjoint solver 'cg' unless T is one plain gradient step, naming the step", async () => {
    const preconditioned = defineUnfolding({ energy: quadratic, steps: [gd(0.1, { preconditioner: (g) => g.mul(2) })], layers: 2 });
    await expect(call({ adjoint: { solver: "cg" } }, preconditioned)).rejects.toThrow(
      "implicitGradient: adjoint.solver 'cg' needs T to be one plain gradient step, but step 'gd' (a gradient step) is not a plain gradient step x - alpha grad E(x) (gradientStep through the state, with no preconditioner), so its Jacobian is not I - alpha H with H symmetric; use adjoint.solver 'gmres'",
    );
    const twoSteps = defineUnfolding({ energy: quadratic, steps: [gd(0.1, { name: "a" }), gd(0.1, { name: "b" })], layers: 2 });
    await expect(call({ adjoint: { solver: "cg" } }, twoSteps)).rejects.toThrow(
      "implicitGradient: adjoint.solver 'cg' needs T to be one plain gradient step, but the layer has 2 steps ('a', 'b'), and conjugate gradients needs one plain gradient step",
    );
  });

  it("refuses an unfolding that is not one layer map", async () => {
    await expect(call({}, defineUnfolding({ energy: quadratic, steps: [gd(0.1)], layers: 2, tiedWeights: false }))).rejects.toThrow(
      "implicitGradient: a fixed point needs one layer map, but the unfolding of energy 'quadratic' has untied weights",
    );
  });

  it("names the option at fault", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ adjont: {} }, "implicitGradient: unknown option 'adjont' in options (known: state, params, cotangent, backward, adjoint, phantom, resident)"],
      [{ cotangent: hostTensor(new Float64Array(n * d), [d, n]) }, "implicitGradient: options.cotangent has shape [3, 4]; it is dL/dY* and must be like the state, [4, 3]"],
      [{ cotangent: hostTensor(new Float32Array(n * d), [n, d]) }, "implicitGradient: options.cotangent is float32, the state is float64"],
      [{ cotangent: hostTensor(new Float64Array(n * d).fill(Number.NaN), [n, d]) }, "implicitGradient: options.cotangent [4, 3] contains NaN at element [0, 0]"],
      [{ state: [1, 2] }, "implicitGradient: options.state is a plain array of 2 values, not a HostTensor"],
      [{ params: { A: p.params["A"] } }, "implicitGradient: options.params: missing parameter 'B' [4, 3] for energy 'quadratic'"],
      [{ backward: "exact" }, "implicitGradient: options.backward must be one of 'implicit', 'jfb', 'phantom', got 'exact' (a string)"],
      [{ adjoint: { solver: "bicgstab" } }, "implicitGradient: adjoint.solver must be one of 'iteration', 'gmres', 'cg', got 'bicgstab' (a string)"],
      [{ adjoint: { tol: 0 } }, "implicitGradient: adjoint.tol must be a positive finite number, got 0"],
      [{ adjoint: { maxIterations: 2.5 } }, "implicitGradient: adjoint.maxIterations must be an integer >= 1, got 2.5"],
      [{ adjoint: { solver: "cg", restart: 5 } }, "implicitGradient: adjoint.restart applies to solver 'gmres' only, not 'cg'"],
      [{ adjoint: { restart: 0 } }, "implicitGradient: adjoint.restart must be an integer >= 1, got 0"],
      [{ adjoint: { requireConvergence: "yes" } }, "implicitGradient: adjoint.requireConvergence must be true or false, got 'yes' (a string)"],
      [{ adjoint: { tolerance: 1e-6 } }, "implicitGradient: unknown option 'tolerance' in adjoint (known: solver, tol, maxIterations, restart, requireConvergence)"],
      [{ backward: "jfb", adjoint: {} }, "implicitGradient: options.adjoint applies to backward 'implicit' only, not 'jfb'"],
      [{ phantom: { steps: 2 } }, "implicitGradient: options.phantom applies to backward 'phantom' only, not 'implicit'"],
      [{ backward: "phantom" }, "implicitGradient: backward 'phantom' needs options.phantom: { steps: k } (the damped steps unrolled from the fixed point)"],
      [{ backward: "phantom", phantom: { steps: 0 } }, "implicitGradient: options.phantom.steps must be an integer >= 1, got 0"],
      [{ backward: "phantom", phantom: { steps: 2, damping: 1.5 } }, "implicitGradient: options.phantom.damping must be a number in (0, 1], got 1.5"],
    ];
    for (const [options, message] of cases) await expect(call(options), JSON.stringify(Object.keys(options))).rejects.toThrow(message);
  });
});
