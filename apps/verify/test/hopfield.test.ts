import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureIO } from "@unfold/testing";
import { type RefusalCase, refusalTable } from "@unfold/testing/refusals";
import { afterAll, describe, expect, it } from "vitest";
import { unfoldCommand } from "../src/index.js";
import { type HopfieldReport, hopfieldRun } from "./hopfield-run.js";
import type { RetrievalRow } from "../src/hopfield/retrieval.js";

const dir = mkdtempSync(join(tmpdir(), "unfold-hopfield-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));



const row = (report: HopfieldReport, corruption: string, level: number): RetrievalRow => report.rows.find((r) => r.corruption === corruption && r.level === level)!;

describe("pnpm unfold hopfield", () => {
  it("retrieves stored digits from lightly corrupted queries at a large beta, less so as corruption grows, never raising E", async () => {
    const plot = join(dir, "retrieval.svg");
    const { report, io } = await hopfieldRun(["--memories", "30", "--beta", "50", "--steps", "2", "--seed", "3", "--plot", plot]);
    expect(report.rows.map((r) => `${r.corruption}@${r.level}`)).toEqual(
      ["pixels", "rows", "noise"].flatMap((c) => [0, 0.1, 0.3, 0.5, 0.7, 0.9].map((l) => `${c}@${l}`)),
    );
    // Well above beta's threshold every stored digit is a fixed point, and light corruption is undone.
    for (const r of report.rows.filter((x) => x.level === 0)) expect(r.accuracy).toBe(1);
    for (const r of report.rows.filter((x) => x.level <= 0.3)) {
      expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(r.cosineAfter).toBeGreaterThan(0.99);
    }
    // Where half of the digit or less is gone, the steps restore it: closer to the stored digit than the query was.
    for (const r of report.rows.filter((x) => x.level > 0 && x.level <= 0.5)) expect(r.cosineAfter).toBeGreaterThan(r.cosineBefore);
    // Occluding rows from the bottom removes ever more of what tells digits apart (the mask is
    // deterministic, so this is no matter of the seed): accuracy never rises with the level, and
    // with 90% of the rows gone there is (almost) no ink left to retrieve from.
    const occluded = report.rows.filter((x) => x.corruption === "rows").map((x) => x.accuracy);
    occluded.slice(1).forEach((a, i) => expect(a).toBeLessThanOrEqual(occluded[i]!));
    expect(row(report, "rows", 0.9).accuracy).toBeLessThan(row(report, "rows", 0.3).accuracy - 0.5);
    // At a large beta one step lands on the pattern of largest inner product with the query, so
    // retrieval identifies the digit as often as nearest-neighbour lookup on the query does.
    for (const r of report.rows) expect(Math.abs(r.accuracy - r.queryAccuracy)).toBeLessThanOrEqual(0.05);
    expect(report.rises).toBe(0);
    expect(report.energy.end).toBeLessThan(report.energy.start);
    expect(report.plot).toBe(plot);
    expect(readFileSync(plot, "utf8")).toMatch(/^<svg[\s\S]*(<polyline[\s\S]*){12}<\/svg>\n$/);
    expect(io.progressed).toEqual([expect.stringMatching(/^storing 30 MNIST digits; 540 queries/), "CCCP step 1/2", "CCCP step 2/2"]);
  });

  it("loses even the uncorrupted digits at a small beta: every query falls into one metastable mixture", async () => {
    const { report } = await hopfieldRun(["--memories", "30", "--beta", "1", "--steps", "3", "--plot", join(dir, "small-beta.svg")]);
    for (const r of report.rows.filter((x) => x.level === 0)) {
      expect(r.queryAccuracy).toBe(1);
      expect(r.accuracy).toBeLessThanOrEqual(0.2);
    }
    expect(report.rises).toBe(0);
  });

  it("gives the same figures on the cpu backend and on the float64 reference", async () => {
    const args = ["--memories", "10", "--beta", "20", "--steps", "2", "--seed", "5"];
    const cpu = (await hopfieldRun([...args, "--backend", "cpu", "--plot", join(dir, "cpu.svg")])).report;
    const reference = (await hopfieldRun([...args, "--backend", "reference", "--plot", join(dir, "reference.svg")])).report;
    expect(cpu.backend).toBe("cpu");
    expect(reference.backend).toBe("reference");
    expect(cpu.rows.map((r) => r.accuracy)).toEqual(reference.rows.map((r) => r.accuracy));
    cpu.rows.forEach((r, i) => expect(Math.abs(r.cosineAfter - reference.rows[i]!.cosineAfter)).toBeLessThanOrEqual(1e-9));
  });

  it("prints the table, the energy line and the plot's path", async () => {
    const io = captureIO();
    const plot = join(dir, "table.svg");
    await unfoldCommand(["hopfield", "--memories", "10", "--steps", "1", "--plot", plot], io);
    const text = io.lines.join("\n");
    expect(text).toMatch(/^corruption\s+level\s+accuracy\s+query accuracy\s+cosine before\s+cosine after$/m);
    expect(text).toMatch(/^pixels\s+0\.0\s+1\.000\s+1\.000\s+1\.000\s+1\.000$/m);
    expect(text).toMatch(/^noise\s+0\.9\s+\d\.\d{3}/m);
    expect(text).toMatch(/CCCP steps that raised it: 0$/m);
    expect(io.lines.at(-1)).toBe(`plot: ${plot}`);
  });

  it("lists its flags under --help, and unfold --help names the subcommand", async () => {
    const io = captureIO();
    await unfoldCommand(["hopfield", "--help"], io);
    for (const flag of ["--memories", "--beta", "--steps", "--seed", "--backend", "--plot", "--json"]) expect(io.lines.join("\n")).toContain(flag);
    const top = captureIO();
    await unfoldCommand(["--help"], top);
    expect(top.lines.join("\n")).toMatch(/^\s+unfold hopfield .*\(see unfold hopfield --help\)$/m);
  });
});

const scratch = mkdtempSync(join(tmpdir(), "unfold-hopfield-bad-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const FILE = join(scratch, "a-file");
writeFileSync(FILE, "a file, not a directory\n");
const DIR = join(scratch, "a-dir");
mkdirSync(DIR);

const BAD: readonly RefusalCase[] = [
  [["--memories", "0"], ["--memories", "'0'", "from 1 to 8630"]],
  [["--memories", "100000"], ["--memories", "'100000'", "from 1 to 8630"]],
  [["--memories", "ten"], ["--memories", "'ten'"]],
  [["--memories", "2.5"], ["--memories", "'2.5'"]],
  [["--memories"], ["--memories", "needs a value"]],
  [["--beta", "0"], ["--beta", "'0'", "positive"]],
  [["--beta=-3"], ["--beta", "'-3'", "positive"]],
  [["--beta", "hot"], ["--beta", "'hot'"]],
  [["--beta", "Infinity"], ["--beta", "'Infinity'"]],
  [["--steps", "0"], ["--steps", "'0'", ">= 1"]],
  [["--steps", "1.5"], ["--steps", "'1.5'"]],
  [["--seed=-1"], ["--seed", "'-1'", ">= 0"]],
  [["--backend", "webgpu"], ["--backend", "'webgpu'", "cpu or reference"]],
  [["--backend", ""], ["--backend", "''", "cpu or reference"]],
  [["--plot", ""], ["--plot", "needs a file path"]],
  [["--plot", DIR], ["--plot", DIR, "is a directory"]],
  [["--plot", join(FILE, "r.svg")], ["--plot", FILE, "not a directory"]],
  [["--plot", "/sys/r.svg"], ["--plot", "/sys", "permission denied"]],
  [["--bogus"], ["--bogus", "--memories"]],
  [["--steps", "2", "extra"], ["extra"]],
  [["--json=yes"], ["--json"]],
  [["--beta", "8", "--beta", "9"], ["--beta", "more than once"]],
];

refusalTable("pnpm unfold hopfield", BAD, (args, io) => unfoldCommand(["hopfield", ...args], io), scratch);
