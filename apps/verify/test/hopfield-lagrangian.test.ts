import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureIO } from "@unfold/testing";
import { type RefusalCase, refusalTable } from "@unfold/testing/refusals";
import { hostTensor } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { unfoldCommand } from "../src/index.js";
import { hopfieldRun } from "./hopfield-run.js";
import { lagrangianRetrieval } from "../src/hopfield/lagrangian-network.js";

const dir = mkdtempSync(join(tmpdir(), "unfold-hopfield-lagrangian-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));



// The two-layer Lagrangian network (visible neurons, memory neurons, the synapse -g_h^T X v) is
// the modern Hopfield energy at the memory layer's equilibrium, and two of its size-1 steps from
// there are one CCCP step: `--network lagrangian` must retrieve what `--network hopfield` does.
describe("pnpm unfold hopfield --network lagrangian", () => {
  const small = ["--memories", "20", "--beta", "50", "--steps", "2", "--seed", "4"];

  it("retrieves lightly corrupted digits as the Hopfield energy does, with the same energies, never raising E", async () => {
    const plot = join(dir, "lagrangian.svg");
    const { report: network, io } = await hopfieldRun([...small, "--network", "lagrangian", "--plot", plot]);
    const { report: hopfield } = await hopfieldRun([...small, "--plot", join(dir, "hopfield.svg")]);
    expect(hopfield.network).toBe("hopfield");
    expect(network.network).toBe("lagrangian");
    expect(network.rows.map((r) => `${r.corruption}@${r.level}`)).toEqual(hopfield.rows.map((r) => `${r.corruption}@${r.level}`));
    network.rows.forEach((r, i) => {
      const h = hopfield.rows[i]!;
      if (r.level <= 0.3) {
        expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
        expect(Math.abs(r.accuracy - h.accuracy)).toBeLessThanOrEqual(0.05);
      }
      // The same queries go in, and the same states come out (autodiff through two Lagrangians
      // against the closed-form CCCP step: rounding apart).
      expect(r.queryAccuracy).toBe(h.queryAccuracy);
      expect(Math.abs(r.cosineAfter - h.cosineAfter)).toBeLessThanOrEqual(1e-9);
    });
    // The run starts and ends with the memory layer at equilibrium, where E is the Hopfield energy.
    for (const end of ["start", "end"] as const) expect(Math.abs(network.energy[end] - hopfield.energy[end])).toBeLessThanOrEqual(1e-9 * Math.abs(hopfield.energy[end]));
    expect(network.energy.end).toBeLessThan(network.energy.start);
    expect(network.rises).toBe(0);
    // Two network steps per layer ran, where the Hopfield energy took one CCCP step.
    expect([network.stepsTaken, hopfield.stepsTaken]).toEqual([4, 2]);
    expect(io.progressed).toEqual([expect.stringMatching(/^storing 20 MNIST digits; 360 queries/), "network layer (2 steps) 1/2", "network layer (2 steps) 2/2"]);
    const svg = readFileSync(plot, "utf8");
    expect(svg).toContain("Two-layer Lagrangian network retrieval of 20 MNIST digits (beta 50, 2 layers of 2 network steps)");
    expect(readFileSync(join(dir, "hopfield.svg"), "utf8")).toContain("Modern Hopfield retrieval of 20 MNIST digits (beta 50, 2 CCCP steps)");
  });

  it("says which network ran in the table's header and energy line", async () => {
    const io = captureIO();
    await unfoldCommand(["hopfield", "--memories", "10", "--steps", "1", "--network", "lagrangian", "--plot", join(dir, "table.svg")], io);
    const text = io.lines.join("\n");
    expect(text).toMatch(/^10 stored digits, beta 50, the two-layer Lagrangian network \(10 memory neurons\), 1 layers of 2 network steps on cpu;/m);
    expect(text).toMatch(/^pixels\s+0\.0\s+1\.000\s+1\.000\s+1\.000\s+1\.000$/m);
    expect(text).toMatch(/; network steps that raised it: 0$/m);
  });

  it("unfolds two network steps of size 1 per layer with the guard on, watching the total energy", () => {
    const patterns = hostTensor(Float64Array.from([1, 0, 0, 1, 0.6, 0.8]), [3, 2]);
    const { unfolding, state, queriesOf } = lagrangianRetrieval({ dim: 2, memories: 3, beta: 4, layers: 5 }, hostTensor(Float64Array.from([0.3, 0.5]), [1, 2]), patterns);
    expect(unfolding.layers).toBe(5);
    expect(unfolding.steps.map((s) => [s.stepSize, s.terms])).toEqual(Array(2).fill([1, ["neuron:visible", "neuron:memories", "memory"]]));
    expect(unfolding.guard).toMatchObject({ mode: "warn", watch: "total" });
    // Each row is [v, X v]; the queries are read back from the visible units.
    expect(Array.from(state.data)).toEqual([0.3, 0.5, 0.3, 0.5, 0.3 * 0.6 + 0.5 * 0.8]);
    expect(Array.from(queriesOf(state))).toEqual([0.3, 0.5]);
  });

  it("lists --network under --help", async () => {
    const io = captureIO();
    await unfoldCommand(["hopfield", "--help"], io);
    expect(io.lines.join("\n")).toMatch(/--network W\s+hopfield or lagrangian \(default hopfield\)/);
  });
});

const scratch = mkdtempSync(join(tmpdir(), "unfold-hopfield-network-bad-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const BAD: readonly RefusalCase[] = [
  [["--network", "hamux"], ["--network", "'hamux'", "hopfield or lagrangian"]],
  [["--network", "Lagrangian"], ["--network", "'Lagrangian'", "hopfield or lagrangian"]],
  [["--network", ""], ["--network", "''", "hopfield or lagrangian"]],
  [["--network"], ["--network", "needs a value"]],
  [["--network", "lagrangian", "--network", "hopfield"], ["--network", "more than once"]],
  [["--network", "hamux", "--plot", join(scratch, "new", "r.svg")], ["--network", "'hamux'"]],
];

refusalTable("pnpm unfold hopfield --network", BAD, (args, io) => unfoldCommand(["hopfield", ...args], io), scratch);
