import { type Program, Random, ReferenceBackend, defineUnfolding, differentiate, hostTensor, input, relativeError, runToHost, softmax, layerNorm, trace, unfoldedProgram, type HostTensor } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

const cpu = new CpuBackend();
const reference = new ReferenceBackend();
afterAll(() => cpu.dispose());

async function compare(program: Program, feeds: Record<string, HostTensor>, tol: number): Promise<void> {
  const got = await runToHost(await cpu.compile(program, { poison: true }), feeds);
  const want = await runToHost(await reference.compile(program), feeds);
  for (const name of Object.keys(want)) {
    const err = relativeError(got[name]!.data, want[name]!.data);
    expect(err, `${name}: ${err}`).toBeLessThanOrEqual(tol);
    expect(got[name]!.data.some(Number.isNaN), name).toBe(false);
  }
}

describe("cpu plan", () => {
  it("runs fused chains, views, reductions, softmax and matmul with transposes", async () => {
    const rng = new Random(1);
    for (const dtype of ["float64", "float32"] as const) {
      const program = trace({ X: input([3, 5, 4], dtype), W: input([4, 4], dtype), b: input([4], dtype) }, ({ X, W, b }) => {
        const h = X.matmul(W).add(b).tanh().mul(2).sub(X.T.T);
        const a = softmax(h.matmul(h.T), -1);
        const y = a.matmul(X);
        return { y, s: y.sum([0, 2]), m: h.max(-1), n: layerNorm(X), t: X.transpose([2, 0, 1]), x: X };
      });
      const feeds = { X: hostTensor(rng.normals(60), [3, 5, 4], dtype), W: hostTensor(rng.normals(16, 0.5), [4, 4], dtype), b: hostTensor(rng.normals(4), [4], dtype) };
      await compare(program, feeds, dtype === "float64" ? 1e-12 : 1e-5);
    }
  });

  it("runs gradients of a Yang unfolding", async () => {
    const [n, d] = [6, 4];
    const energy = yangEnergy({ dim: d });
    const params = initYangParams({ dim: d }, { seed: 2 });
    const unfolding = defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: safeFeedForwardStepSize(params, d) }), layers: 3 });
    const forward = unfoldedProgram(unfolding, [2, n, d], "float64", { energies: true });
    const grads = differentiate(forward, { of: "energy.3" });
    const feeds = { state: hostTensor(new Random(3).uniforms(2 * n * d), [2, n, d]), ...params };
    await compare(forward, feeds, 1e-12);
    await compare(grads, feeds, 1e-12);
  });

  it("keeps memory flat over 1,000 runs", async () => {
    const program = trace({ x: input([64, 64], "float32") }, ({ x }) => softmax(x.matmul(x.T)).sum(-1));
    const exe = await cpu.compile(program);
    const x = hostTensor(new Random(5).normals(4096), [64, 64], "float32");
    for (let i = 0; i < 10; i++) (await exe.run({ x }))["out"]!.dispose();
    const before = cpu.memoryBytes;
    for (let i = 0; i < 1000; i++) (await exe.run({ x }))["out"]!.dispose();
    expect(cpu.memoryBytes).toBe(before);
  });

  it("counts the bytes in use and their peak, which a reset restarts from what is live", async () => {
    const backend = new CpuBackend();
    try {
      expect(backend.memoryInUse()).toEqual({ live: 0, peak: 0 });
      const program = trace({ x: input([32, 32], "float32") }, ({ x }) => x.matmul(x.T).sum(-1));
      const exe = await backend.compile(program);
      // The executable's plan buffers are reserved when it is compiled.
      const planned = backend.memoryInUse().live;
      const x = await backend.upload(hostTensor(new Random(6).normals(1024), [32, 32], "float32"));
      expect(backend.memoryInUse().live).toBe(planned + 4096);
      backend.resetPeakMemory();
      expect(backend.memoryInUse().peak).toBe(planned + 4096);
      const out = (await exe.run({ x }))["out"]!;
      const { live, peak } = backend.memoryInUse();
      // The output's 128 bytes stay live after the run.
      expect(live).toBe(planned + 4096 + 128);
      expect(peak).toBeGreaterThanOrEqual(live);
      out.dispose();
      x.dispose();
      // Released regions return to the count; the peak stays until the next reset.
      expect(backend.memoryInUse().live).toBeLessThan(live);
      expect(backend.memoryInUse().peak).toBe(peak);
      backend.resetPeakMemory();
      expect(backend.memoryInUse().peak).toBe(backend.memoryInUse().live);
    } finally {
      await backend.dispose();
    }
  });
});
