// A fixed-point run's energy figure: energy.svg shows the map's energy against solver iteration,
// before and after training, each curve's stopping point marked, and the run prints the
// iterations to convergence before and after.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isFixedPointProfile } from "@unfold/training";
import { describe, expect, it } from "vitest";
import { trainCommand } from "../src/index.js";
import { fixedPointEnergyCurves } from "../src/output/fixed-point-energy.js";
import { captureIO, finished, quiet, tempDir, tinyConfigJson, writeConfigFile } from "./helpers/trainer.js";

/** The tiny run as a fixed-point model solved by plain iteration, profiling 3 test inputs. */
function fixedPointJson(): Record<string, unknown> {
  const base = tinyConfigJson();
  const { layers: _layers, ...rest } = base["model"] as Record<string, unknown>;
  return { ...base, energyInputs: 3, model: { ...rest, tied: true, fixedPoint: { solver: "iteration", tol: 1e-8 } } };
}

/** The text of every <text> element of an SVG. */
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe("the energy figure of a fixed-point run", () => {
  it("plots the energy against solver iteration before and after training, with where the tolerance stopped each", async () => {
    const out = join(tempDir(), "run");
    const config = writeConfigFile(tempDir(), fixedPointJson());
    const io = captureIO();
    const run = finished(await trainCommand(["--config", config, "--backend", "reference", "--dtype", "float64", "--out", out], io, { progressStream: quiet }));
    const { energyBefore: before, energyAfter: after } = run;
    if (!before || !after || !isFixedPointProfile(before) || !isFixedPointProfile(after)) throw new Error("the run has no fixed-point energy profiles");
    expect(before.iterations).toHaveLength(3);
    expect(after.converged).toEqual([true, true, true]);
    // Aligned: the two compare iteration by iteration, each row continued with its fixed point's energy.
    expect(before.meanByLayer).toHaveLength(after.meanByLayer.length);
    expect(after.meanByLayer).toHaveLength(Math.max(...before.iterations, ...after.iterations) + 1);

    const labels = texts(readFileSync(join(out, "energy.svg"), "utf8"));
    expect(labels[0]).toBe("E(Y^k) - E(Y*) over 3 test inputs, each solved to tol 1e-8 (yang)");
    expect(labels).toContain("solver iteration k");
    for (const [name, profile] of [["before training", before], ["after training", after]] as const) {
      const curves = fixedPointEnergyCurves(name, profile);
      // Every curve ends at its own fixed point; the stopping mark is the inputs' mean iteration count.
      expect(curves.mean.at(-1)).toBe(0);
      expect(curves.stop.mean).toBeCloseTo(profile.iterations.reduce((a, b) => a + b, 0) / 3, 12);
      expect(labels).toContain(`${name}: mean`);
      expect(labels).toContain(`${name}: tol reached at iteration ${curves.stop.mean.toFixed(1)} on average (${curves.stop.min}-${curves.stop.max})`);
    }
    // The summary gives the iterations to convergence in place of the unrolled models' energy-by-layer table.
    const printed = io.lines.join("\n");
    expect(printed).not.toContain("energy by layer");
    expect(printed).toContain("iterations to convergence (tol 1e-8) over 3 test inputs, each solved alone:");
    expect(printed).toMatch(/ {2}before training: mean [\d.]+ \(min \d+, max \d+\), 3 of 3 converged/);
    expect(printed).toMatch(/ {2}after training: {2}mean [\d.]+ \(min \d+, max \d+\), 3 of 3 converged/);
    console.log(`tiny fixed-point run, iterations to 1e-8 by input: before ${before.iterations.join(" ")}, after ${after.iterations.join(" ")}`);
  }, 120_000);
});
