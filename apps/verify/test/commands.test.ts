import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unfoldCommand, verifyCommand } from "../src/index.js";
import { captureIO } from "@unfold/testing";

const dir = mkdtempSync(join(tmpdir(), "unfold-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pnpm verify --json", () => {
  it("prints the fidelity report as one JSON object on its last line, and it holds", async () => {
    const io = captureIO();
    await verifyCommand(["--json"], io);
    const report = JSON.parse(io.lines.at(-1)!);
    expect(Object.keys(report).sort()).toEqual(
      ["closedFormStepRelErr", "mmIncreases", "mmTrials", "plainSoftmaxIncreases", "transformerLayerRelErr", "unfolded"].sort(),
    );
    expect(report.closedFormStepRelErr).toBeLessThanOrEqual(1e-10);
    expect(report.transformerLayerRelErr).toBeLessThanOrEqual(1e-10);
    expect(report.mmTrials).toBe(2000);
    expect(report.mmIncreases).toBe(0);
    expect(Number.isInteger(report.plainSoftmaxIncreases)).toBe(true);
    expect(report.unfolded.map((l: { layer: number }) => l.layer)).toEqual([...Array(13).keys()]);
    for (const l of report.unfolded) {
      const sum = (Object.values(l.terms) as number[]).reduce((a, b) => a + b, 0);
      expect(Object.keys(l.terms).sort()).toEqual(["attention", "feedForward"]);
      expect(Math.abs(sum - l.energy)).toBeLessThanOrEqual(1e-9 * Math.abs(l.energy));
    }
    expect(io.progressed.some((m) => m.includes("2000/2000"))).toBe(true);
  });
});

describe("pnpm verify", () => {
  it("prints the checks and the per-layer energies as tables", async () => {
    const io = captureIO();
    await verifyCommand([], io);
    const text = io.lines.join("\n");
    expect(text).toMatch(/softmax_beta MM step: trials\s+2000\b/);
    expect(text).toMatch(/softmax_beta MM step: increases of E_att\s+0\s+0/);
    expect(text).toMatch(/plain softmax step: increases of E_att\s+\d+\s+reported/);
    expect(text).toMatch(/^\s+12\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+$/m);
  });
});

describe("pnpm unfold", () => {
  it("prints every layer's energy and terms, and writes the plot", async () => {
    const io = captureIO();
    const plot = join(dir, "energy.svg");
    await unfoldCommand(["--digits", "2", "--layers", "3", "--plot", plot], io);
    const text = io.lines.join("\n");
    expect(text).toMatch(/layer\s+energy\s+attention\s+feedForward/);
    for (const layer of [0, 1, 2, 3]) expect(text).toMatch(new RegExp(`^\\s+${layer}\\s+-?\\d`, "m"));
    expect(text).toContain("every sub-step lowered its own term: yes");
    expect(existsSync(plot)).toBe(true);
    expect(readFileSync(plot, "utf8")).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>\n$/);
  });

  it("rejects bad flags by name", async () => {
    await expect(unfoldCommand(["--layers", "0"], captureIO())).rejects.toThrow(/--layers must be an integer >= 1/);
    await expect(unfoldCommand(["--bogus"], captureIO())).rejects.toThrow(/bogus/);
  });
});
