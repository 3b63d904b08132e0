import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPORTED_SLOPES, hessianMain } from "../src/index.js";
import { captureIO } from "@unfold/testing";

const dir = mkdtempSync(join(tmpdir(), "unfold-hessian-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pnpm hessian verify --json", () => {
  it("prints every block's worst relative error on its last line, within 1e-8", async () => {
    const io = captureIO();
    await hessianMain(["verify", "--json"], io);
    const report = JSON.parse(io.lines.at(-1)!);
    expect(Object.keys(report)).toEqual(["blocks", "maxRelErr"]);
    expect(Object.keys(report.blocks)).toEqual(["VV", "QQ", "KK", "VQ", "VK", "QK"]);
    for (const v of Object.values(report.blocks) as number[]) expect(v).toBeLessThanOrEqual(1e-8);
    expect(report.maxRelErr).toBeLessThanOrEqual(1e-8);
    expect(io.progressed.some((m) => m.includes("crossEntropy"))).toBe(true);
  });
});

describe("pnpm hessian scaling --quick --json", () => {
  it("fits the slopes the paper measured", async () => {
    const io = captureIO();
    await hessianMain(["scaling", "--quick", "--json"], io);
    const { slopes } = JSON.parse(io.lines.at(-1)!);
    expect(Object.keys(slopes)).toEqual([...REPORTED_SLOPES]);
    const targets = { V_outer: 2, Q_outer: 6, Q_functional: 5, Q_full: 5, linear_Q: 6, mlp: 2 };
    for (const [series, target] of Object.entries(targets)) expect(Math.abs(slopes[series] - target), series).toBeLessThanOrEqual(0.15);
    expect(slopes.V_functional).toBe(0);
    expect(Math.abs(slopes.preln_Q)).toBeLessThan(0.3);
  });

  it("prints a table against the predictions, and writes the growth plot", async () => {
    const io = captureIO();
    const plot = join(dir, "growth-table.svg");
    await hessianMain(["scaling", "--d-model", "4", "--points", "3", "--seeds", "1", "--samples", "2", "--batch", "1", "--fit-max", "10", "--threads", "1", "--plot", plot], io);
    expect(io.lines.join("\n")).toMatch(/V_functional\s+0\s+0 \(identically zero\)/);
    expect(readFileSync(plot, "utf8")).toContain("stroke-dasharray");
  });
});

describe("pnpm hessian plots", () => {
  it("writes the heatmap, the histograms and the growth curves as SVG", async () => {
    const io = captureIO();
    const out = join(dir, "figures");
    await hessianMain(["plots", "--out", out, "--d-model", "4", "--points", "5", "--seeds", "1"], io);
    for (const name of ["heatmap.svg", "histograms.svg", "growth.svg"]) {
      expect(existsSync(join(out, name))).toBe(true);
      expect(readFileSync(join(out, name), "utf8")).toMatch(/^<svg /);
    }
    const heatmap = readFileSync(join(out, "heatmap.svg"), "utf8");
    for (const w of ["W_Q", "W_K", "W_V", "W_O"]) expect(heatmap).toContain(w);
    expect(readFileSync(join(out, "histograms.svg"), "utf8")).toContain("linear attention");
  });
});

describe("pnpm hessian bench --json", () => {
  it("times the closed form against Hessian-vector-product assembly on the same block", async () => {
    const io = captureIO();
    await hessianMain(["bench", "--d-model", "3,4", "--repeats", "1", "--json"], io);
    const { workload, rows } = JSON.parse(io.lines.at(-1)!);
    expect(workload).toBe("hessian-block");
    expect(rows.map((r: { dModel: number }) => r.dModel)).toEqual([3, 4]);
    for (const r of rows) {
      expect(r.relErr).toBeLessThan(1e-12);
      expect(r.closedFormMs).toBeGreaterThan(0);
      expect(r.hvpAssemblyMs).toBeGreaterThan(0);
    }
  });
});

describe("bad input", () => {
  it("names the flag, the command or the missing option", async () => {
    const io = captureIO();
    await expect(hessianMain(["curvature"], io)).rejects.toThrow(/unknown command 'curvature' \(commands: verify, scaling, plots, bench\)/);
    await expect(hessianMain(["scaling", "--points", "1"], io)).rejects.toThrow(/--points must be an integer >= 2, got '1'/);
    await expect(hessianMain(["scaling", "--fit-max", "0"], io)).rejects.toThrow(/--fit-max must be a positive number/);
    await expect(hessianMain(["scaling", "--backend", "gpu"], io)).rejects.toThrow(/--backend must be one of cpu, reference, got 'gpu'/);
    await expect(hessianMain(["plots"], io)).rejects.toThrow(/--out DIR is required/);
    await expect(hessianMain(["bench", "--d-model", "16,x"], io)).rejects.toThrow(/--d-model must be an integer >= 1, got 'x'/);
    await expect(hessianMain(["verify", "--bogus"], io)).rejects.toThrow(/bogus/);
  });

  it("prints usage", async () => {
    const io = captureIO();
    await hessianMain([], io);
    expect(io.lines.join("\n")).toContain("usage: unfold hessian <command>");
  });
});
