// Item rounds (plan/segments.ts): a chain of batched steps runs depth first, each thread taking
// one batch item through every step. Every item runs the very kernels the step-by-step plan
// runs, on the same data, so results must match that plan bit for bit, and the reference by
// relative error. A value read after the round keeps its slot; a step that reads another item's
// values cuts the chain.
import { type HostTensor, type Program, Random, ReferenceBackend, defineUnfolding, hostTensor, input, relativeError, runToHost, trace, unfoldedProgram } from "@unfold/core";
import { initYangParams, safeFeedForwardStepSize, yangEnergy, yangLayerSteps } from "@unfold/energies";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

// Two threads, every product threaded: rounds form however small the work.
const rounds = new CpuBackend({ threads: 2, parallelThreshold: 0 });
const stepwise = new CpuBackend({ threads: 2, parallelThreshold: 0, itemRounds: false });
const reference = new ReferenceBackend();
afterAll(async () => {
  await rounds.dispose();
  await stepwise.dispose();
});

async function check(program: Program, feeds: Record<string, HostTensor>, tolerance: number): Promise<Record<string, { ms: number; count: number }>> {
  const exe = await rounds.compile(program, { poison: true });
  const got = await runToHost(exe, feeds);
  const plain = await runToHost(await stepwise.compile(program, { poison: true }), feeds);
  const want = await runToHost(await reference.compile(program), feeds);
  for (const name of Object.keys(want)) {
    expect(Array.from(got[name]!.data), `${name} against the step-by-step plan`).toEqual(Array.from(plain[name]!.data));
    expect(relativeError(got[name]!.data, want[name]!.data), `${name} against the reference`).toBeLessThanOrEqual(tolerance);
  }
  return exe.profile(feeds);
}

function yangForward(batch: number, tokens: number, dim: number, layers: number): { program: Program; feeds: Record<string, HostTensor> } {
  const energy = yangEnergy({ dim });
  const params = initYangParams({ dim }, { seed: 4 });
  const unfolding = defineUnfolding({ energy, steps: yangLayerSteps(energy, { feedForwardStepSize: safeFeedForwardStepSize(params, dim) }), layers, tiedWeights: true });
  const program = unfoldedProgram(unfolding, [batch, tokens, dim], "float32");
  const feeds: Record<string, HostTensor> = { state: hostTensor(new Random(tokens).uniforms(batch * tokens * dim), [batch, tokens, dim], "float32") };
  for (const [name, value] of Object.entries(params)) feeds[name] = hostTensor(value.data, value.shape, "float32");
  return { program, feeds };
}

describe("item rounds", () => {
  it("run the 12-layer tied Yang forward as one round (the bias step moves ahead of it)", async () => {
    const { program, feeds } = yangForward(4, 24, 8, 12);
    const profile = await check(program, feeds, 1e-4);
    expect(profile["items"]?.count).toBe(1);
    for (const kind of ["matmul", "attention", "add", "max"]) expect(profile, kind).not.toHaveProperty(kind);
  });

  it("give the same items on every run, with 128-token items that need the most scratch per thread", async () => {
    // Threads run different blocks at once, a product's and an attention's, each in its share of
    // the scratch: shares sized per block would overlap.
    const { program, feeds } = yangForward(8, 128, 16, 1);
    const exe = await rounds.compile(program, { poison: true });
    const want = (await runToHost(await stepwise.compile(program), feeds))["state"]!.data;
    for (let run = 0; run < 12; run++) expect(Array.from((await runToHost(exe, feeds))["state"]!.data), `run ${run}`).toEqual(Array.from(want));
  });

  it("keep in its slot a value that is also an output, or read whole after the round", async () => {
    const rng = new Random(7);
    const program = trace({ Y: input([3, 10, 6], "float32"), W: input([6, 6], "float32") }, ({ Y, W }) => {
      const Z = Y.matmul(W).add(Y).maximum(0);
      const out = Z.matmul(W).sub(Z);
      return { out, Z, total: out.sum([0]) };
    });
    const feeds = { Y: hostTensor(rng.normals(180), [3, 10, 6], "float32"), W: hostTensor(rng.normals(36, 0.4), [6, 6], "float32") };
    const profile = await check(program, feeds, 1e-5);
    expect(profile["items"]?.count).toBe(1);
    expect(profile).toHaveProperty("sum");
  });

  it("end where a step reads another item's values", async () => {
    const rng = new Random(8);
    const program = trace({ Y: input([4, 9, 5], "float32"), W: input([5, 5], "float32") }, ({ Y, W }) => {
      const Z = Y.matmul(W);
      // Every item adds item 0's Z: no order of items can run this chain depth first.
      const mixed = Z.add(Z.slice([0, 0, 0], [1, 9, 5]));
      return { out: mixed.matmul(W).maximum(0) };
    });
    const feeds = { Y: hostTensor(rng.normals(180), [4, 9, 5], "float32"), W: hostTensor(rng.normals(25, 0.4), [5, 5], "float32") };
    const profile = await check(program, feeds, 1e-5);
    // Z's product runs alone, then the rest as a round.
    expect(profile["matmul"]?.count).toBe(1);
    expect(profile["items"]?.count).toBe(1);
  });
});
