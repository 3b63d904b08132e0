// Implicit gradients on zoo energies (float64): at a fixed point Y* of one tied layer, the
// gradient from the adjoint solve equals the gradient backpropagated through a K = 500 unrolling
// that has converged, to 1e-6 relative. JFB and phantom gradients are approximations: their
// angles to it are printed, not asserted.
import { describe, expect, it } from "vitest";
import { type AdjointSolver, Random, ReferenceBackend, gradientStep, hostTensor, implicitGradient, relativeError } from "@unfold/core";
import { ZOO } from "../src/zoo/index.js";
import { angleDegrees, flatten, iterateToFixedPoint, tied, unrolledGradient } from "./fixed-point-implicit-helpers.js";

const backend = new ReferenceBackend();
const K = 500;

describe.each(["yang", "hopfield", "crate-ista"])("implicit gradient on the zoo energy '%s'", (name) => {
  it("equals backprop through a converged K = 500 unrolling; JFB and phantom angles reported", async () => {
    const example = ZOO.find((e) => e.name === name)!.example("float64");
    const { unfolding, map, params } = tied(example, K);
    const fixed = await iterateToFixedPoint(backend, map, example.state, params);
    // The unrolling has converged: K layers are well past the iterations that reach 1e-13.
    expect(fixed.iterations).toBeLessThan(K * 0.6);
    const cotangent = hostTensor(new Random(3).normals(example.state.data.length), example.state.shape);
    const base = { state: fixed.state, params, cotangent };
    const unrolled = flatten(await unrolledGradient(backend, unfolding, example.state, params, cotangent));
    const report: string[] = [`${name}: forward ${fixed.iterations} iterations to 1e-13`];
    let implicit: Float64Array | undefined;
    for (const solver of ["gmres", "iteration"] as AdjointSolver[]) {
      const result = await implicitGradient(map, backend, { ...base, adjoint: { solver, tol: 1e-12, maxIterations: 2000, requireConvergence: true } });
      const error = relativeError(flatten(result.grads), unrolled);
      expect(error).toBeLessThan(1e-6);
      report.push(`${solver}: ${result.adjoint!.iterations} adjoint iterations, relative error to the unrolling ${error.toExponential(2)}`);
      implicit ??= flatten(result.grads);
    }
    const jfb = await implicitGradient(map, backend, { ...base, backward: "jfb" });
    report.push(`JFB angle ${angleDegrees(flatten(jfb.grads), implicit!).toFixed(2)} deg`);
    for (const phantom of [{ steps: 5 }, { steps: 5, damping: 0.5 }, { steps: 20 }]) {
      const result = await implicitGradient(map, backend, { ...base, backward: "phantom", phantom });
      report.push(`phantom k=${phantom.steps}${phantom.damping ? ` lambda=${phantom.damping}` : ""} angle ${angleDegrees(flatten(result.grads), implicit!).toFixed(2)} deg`);
    }
    console.log(report.join("; "));
  }, 120_000);
});

describe("conjugate gradients on a zoo energy whose layer is one plain gradient step", () => {
  it("Hopfield descended by gradientStep alone: the CG adjoint (alpha H u = g) equals GMRES's and the K = 500 unrolling", async () => {
    const example = ZOO.find((e) => e.name === "hopfield")!.example("float64");
    const { unfolding, map, params } = tied(example, K, [gradientStep(example.unfolding.energy, { stepSize: 0.5, name: "gradient" })]);
    const fixed = await iterateToFixedPoint(backend, map, example.state, params);
    expect(fixed.iterations).toBeLessThan(K * 0.6);
    const cotangent = hostTensor(new Random(4).normals(example.state.data.length), example.state.shape);
    const base = { state: fixed.state, params, cotangent };
    const cg = await implicitGradient(map, backend, { ...base, adjoint: { solver: "cg", tol: 1e-12, requireConvergence: true } });
    const gmres = await implicitGradient(map, backend, { ...base, adjoint: { solver: "gmres", tol: 1e-12, requireConvergence: true } });
    expect(relativeError(flatten(cg.grads), flatten(gmres.grads))).toBeLessThan(1e-9);
    const unrolled = flatten(await unrolledGradient(backend, unfolding, example.state, params, cotangent));
    expect(relativeError(flatten(cg.grads), unrolled)).toBeLessThan(1e-6);
    console.log(`hopfield (gradient step only): forward ${fixed.iterations} iterations; cg ${cg.adjoint!.iterations}, gmres ${gmres.adjoint!.iterations} adjoint iterations`);
  }, 120_000);
});
