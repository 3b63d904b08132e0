import { describe, expect, it } from "vitest";
import { type Backend, type DeviceTensor, type HostTensor, MonotonicityError, ReferenceBackend, defineEnergy, defineUnfolding, gradientStep, hostTensor, ops, runUnfolding } from "../src/index.js";

// E(x) = 1/2 |x|^2 + sum sqrt(x): a gradient step of size 2 sends x negative, where sqrt is NaN.
const energy = defineEnergy({
  name: "leaves-domain",
  params: { c: { shape: [3] } },
  terms: [{ name: "e", value: (X, p) => ops.add(ops.mul(ops.sum(ops.mul(X, X)), 0.5), ops.sum(ops.sqrt(ops.add(X, ops.mul(p.c, 0))))) }],
});
const state = hostTensor([1, 2, 3], [3]);
const params = { c: hostTensor([0, 0, 0], [3]) };

describe("runUnfolding review regressions", () => {
  it("counts an energy that turns NaN as a rise", async () => {
    const unfolding = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 2 })], layers: 3, guard: { mode: "throw", watch: "total" } });
    await expect(runUnfolding(unfolding, new ReferenceBackend(), { state, params })).rejects.toThrow(MonotonicityError);
    const warned = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 2 })], layers: 1, guard: { mode: "warn", watch: "total" } });
    const { trace } = await runUnfolding(warned, new ReferenceBackend(), { state, params });
    expect(trace.steps[0]!.increased).toBe(true);
    expect(trace.warnings).toHaveLength(1);
  });

  it("disposes the tensors already uploaded when a later upload fails", async () => {
    const inner = new ReferenceBackend();
    const uploaded: DeviceTensor[] = [];
    const backend: Backend = {
      name: inner.name,
      dtypes: inner.dtypes,
      compile: (p, o) => inner.compile(p, o),
      dispose: () => inner.dispose(),
      upload: async (t: HostTensor) => {
        if (uploaded.length === 1) throw new Error("device out of memory");
        const d = await inner.upload(t);
        uploaded.push(d);
        return d;
      },
    };
    const unfolding = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 0.1 })], layers: 1 });
    await expect(runUnfolding(unfolding, backend, { state, params })).rejects.toThrow(/out of memory/);
    expect(uploaded.map((t) => t.disposed)).toEqual([true]);
  });
});
