// The resident path of the fixed-point solvers: state, parameters and cotangent given as tensors
// already on the backend, and the fixed point and gradients returned there (resident: true). It
// must give the numbers of the host path exactly (same programs, same order), use the caller's
// tensors in place without disposing them, upload nothing, and read back nothing but scalars.
import { describe, expect, it } from "vitest";
import {
  type Backend,
  type DType,
  type DeviceTensor,
  type HostTensor,
  ReferenceBackend,
  defineUnfolding,
  hostTensor,
  implicitGradient,
  layerMap,
  relativeError,
  solveFixedPoint,
  toFloat64,
} from "../../src/index.js";
import { d, gd, n, problem, quadratic } from "../unfold/fixtures.js";
import { recordingBackend } from "./forward-helpers.js";

const map = layerMap(defineUnfolding({ energy: quadratic, steps: [gd(0.2)], layers: 1, tiedWeights: true }));

/** The quadratic problem in `dtype`. */
function setup(seed: number, dtype: DType) {
  const p = problem(seed);
  const cast = (t: HostTensor): HostTensor => hostTensor(toFloat64(t), t.shape, dtype);
  return { state: cast(p.state), params: { A: cast(p.params["A"]!), B: cast(p.params["B"]!) }, cotangent: hostTensor(p.B.map((v, i) => v * (i % 3) - 1), [n, d], dtype) };
}

async function uploadAll(backend: Backend, tensors: Record<string, HostTensor>): Promise<Record<string, DeviceTensor>> {
  return Object.fromEntries(await Promise.all(Object.entries(tensors).map(async ([k, t]) => [k, await backend.upload(t)] as const)));
}

/** Counts uploads and the sizes of every tensor read (one by one or batched) on `inner`. */
function countingBackend(inner: Backend): Backend & { uploads: number; readSizes: number[] } {
  const counts = { uploads: 0, readSizes: [] as number[] };
  const wrap = (t: DeviceTensor): DeviceTensor =>
    Object.assign(Object.create(t) as DeviceTensor, {
      read: () => {
        counts.readSizes.push(t.shape.reduce((a, b) => a * b, 1));
        return t.read();
      },
    });
  return Object.assign(counts, {
    name: inner.name,
    dtypes: inner.dtypes,
    compile: async (...args: Parameters<Backend["compile"]>) => {
      const exe = await inner.compile(...args);
      return { program: exe.program, run: async (feeds: Parameters<typeof exe.run>[0]) => Object.fromEntries(Object.entries(await exe.run(feeds)).map(([k, t]) => [k, wrap(t)])) };
    },
    upload: async (t: HostTensor) => {
      counts.uploads++;
      return inner.upload(t);
    },
    dispose: () => inner.dispose(),
  });
}

describe("the resident path of solveFixedPoint and implicitGradient", () => {
  it.each(["iteration", "anderson", "line-search"] as const)("solver '%s': a resident start and parameters give the host path's fixed point and trace exactly (float64)", async (solver) => {
    const backend = recordingBackend();
    const s = setup(3, "float64");
    const host = await solveFixedPoint(map, backend, { state: s.state, params: s.params, solver, tol: 1e-10 });
    const state = await backend.upload(s.state);
    const params = await uploadAll(backend, s.params);
    const resident = await solveFixedPoint(map, backend, { state, params, solver, tol: 1e-10, resident: true });
    expect(host.converged).toBe(true);
    expect(Array.from(toFloat64(await resident.state.read()))).toEqual(Array.from(toFloat64(host.state)));
    expect(resident.trace).toEqual(host.trace);
    // The caller's tensors are used in place and left to the caller; the result is the caller's to dispose.
    for (const t of [state, ...Object.values(params), resident.state]) expect(t.disposed).toBe(false);
    resident.state.dispose();
  });

  it.each(["gmres", "iteration", "cg"] as const)("adjoint '%s': resident state, parameters and cotangent give the host path's gradients exactly (float64)", async (solver) => {
    const backend = new ReferenceBackend();
    const s = setup(4, "float64");
    const solved = await solveFixedPoint(map, backend, { state: s.state, params: s.params, tol: 1e-12, maxIterations: 2000 });
    const options = { adjoint: { solver, tol: 1e-12, maxIterations: 500 } };
    const host = await implicitGradient(map, backend, { state: solved.state, params: s.params, cotangent: s.cotangent, ...options });
    const [state, cotangent] = [await backend.upload(solved.state), await backend.upload(s.cotangent)];
    const params = await uploadAll(backend, s.params);
    const resident = await implicitGradient(map, backend, { state, params, cotangent, ...options, resident: true });
    for (const name of ["A", "B"]) expect(Array.from(toFloat64(await resident.grads[name]!.read()))).toEqual(Array.from(toFloat64(host.grads[name]!)));
    expect(resident.adjoint).toEqual(host.adjoint);
    for (const t of [state, cotangent, ...Object.values(params), ...Object.values(resident.grads)]) expect(t.disposed).toBe(false);
  });

  it("jfb and phantom gradients come back resident as on the host (float64), and a mixed host/resident parameter set works", async () => {
    const backend = new ReferenceBackend();
    const s = setup(5, "float64");
    const solved = await solveFixedPoint(map, backend, { state: s.state, params: s.params, tol: 1e-12, maxIterations: 2000 });
    const state = await backend.upload(solved.state);
    const mixed = { A: await backend.upload(s.params.A), B: s.params.B };
    for (const backward of [{ backward: "jfb" as const }, { backward: "phantom" as const, phantom: { steps: 3, damping: 0.5 } }]) {
      const host = await implicitGradient(map, backend, { state: solved.state, params: s.params, cotangent: s.cotangent, ...backward });
      const resident = await implicitGradient(map, backend, { state, params: mixed, cotangent: s.cotangent, ...backward, resident: true });
      for (const name of ["A", "B"]) expect(Array.from(toFloat64(await resident.grads[name]!.read()))).toEqual(Array.from(toFloat64(host.grads[name]!)));
    }
    expect(mixed.A.disposed).toBe(false);
  });

  it("float32: the resident path agrees with the host path", async () => {
    const backend = new ReferenceBackend();
    const s = setup(6, "float32");
    const host = await solveFixedPoint(map, backend, { state: s.state, params: s.params, solver: "anderson" });
    const params = await uploadAll(backend, s.params);
    const resident = await solveFixedPoint(map, backend, { state: await backend.upload(s.state), params, solver: "anderson", resident: true });
    const error = relativeError(toFloat64(await resident.state.read()), toFloat64(host.state));
    expect(error).toBeLessThan(1e-6);
    console.log(`float32 quadratic, Anderson: resident vs host fixed point, relative error ${error.toExponential(2)}, ${resident.iterations} iterations each`);
  });

  it("uploads nothing and reads back only scalars when everything is resident", async () => {
    const inner = new ReferenceBackend();
    const s = setup(7, "float64");
    const state = await inner.upload(s.state);
    const params = await uploadAll(inner, s.params);
    const cotangent = await inner.upload(s.cotangent);
    const backend = countingBackend(inner);
    for (const solver of ["iteration", "anderson", "line-search"] as const) {
      const result = await solveFixedPoint(map, backend, { state, params, solver, tol: 1e-10, resident: true });
      result.state.dispose();
    }
    const implicit = await implicitGradient(map, backend, { state, params, cotangent, resident: true });
    expect(Object.keys(implicit.grads).sort()).toEqual(["A", "B"]);
    expect(backend.uploads).toBe(0);
    expect(backend.readSizes.length).toBeGreaterThan(20);
    expect(backend.readSizes.every((size) => size === 1)).toBe(true);
    // The host path, for contrast: it uploads its inputs and reads the state and the gradients back.
    const counted = countingBackend(new ReferenceBackend());
    const solved = await solveFixedPoint(map, counted, { state: s.state, params: s.params, tol: 1e-10 });
    await implicitGradient(map, counted, { state: solved.state, params: s.params, cotangent: s.cotangent });
    expect(counted.uploads).toBe(3 + 4);
    expect(counted.readSizes.filter((size) => size > 1)).toEqual([n * d, n * n, n * d]);
  });

  it("refuses resident inputs that do not fit, naming the option", async () => {
    const backend = new ReferenceBackend();
    const other = new ReferenceBackend();
    Object.defineProperty(other, "name", { value: "other" });
    const s = setup(8, "float64");
    const params = await uploadAll(backend, s.params);
    const state = await backend.upload(s.state);
    const disposed = await backend.upload(s.state);
    disposed.dispose();
    const wrongShape = await backend.upload(hostTensor(new Float64Array(n * n), [n, n]));
    const float32 = await backend.upload(hostTensor(new Float32Array(n * d), [n, d], "float32"));
    const foreign = { ...state, backend: "other", read: () => state.read(), dispose: () => undefined } as DeviceTensor;
    const forward: [Record<string, unknown>, string][] = [
      [{ state: foreign, params }, "solveFixedPoint: the initial state (options.state) is a device tensor of backend 'other', not of the solve's backend 'reference'"],
      [{ state: disposed, params }, "solveFixedPoint: the initial state (options.state) is a device tensor that was disposed"],
      [{ state, params: { ...params, B: wrongShape } }, "solveFixedPoint: parameter 'B' has shape [4, 4], expected [4, 3]"],
      [{ state, params: { ...params, B: float32 } }, "solveFixedPoint: parameter 'B' is float32, expected float64"],
      [{ state, params: { ...params, C: state } }, "solveFixedPoint: unknown parameter 'C' for energy 'quadratic' (parameters: A, B)"],
      [{ state, params: { B: params["B"] } }, "solveFixedPoint: missing parameter 'A' [4, 4] for energy 'quadratic'"],
      [{ state, params, resident: "yes" }, "solveFixedPoint: resident must be true or false"],
    ];
    for (const [options, message] of forward) await expect(solveFixedPoint(map, backend, options as never), message).rejects.toThrow(message);
    const implicit: [Record<string, unknown>, string][] = [
      [{ state, params, cotangent: wrongShape }, "implicitGradient: options.cotangent has shape [4, 4]; it is dL/dY* and must be like the state, [4, 3]"],
      [{ state, params, cotangent: foreign }, "implicitGradient: options.cotangent is a device tensor of backend 'other', not of the solve's backend 'reference'"],
      [{ state, params, cotangent: state, resident: 1 }, "implicitGradient: options.resident must be true or false"],
    ];
    for (const [options, message] of implicit) await expect(implicitGradient(map, backend, options as never), message).rejects.toThrow(message);
    await other.dispose();
  });
});
