import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { captureIO } from "@unfold/testing";
import { afterAll, describe, expect, it } from "vitest";
import { type ResultRecord, loadSweepSpec, sweepMain } from "../src/index.js";
import { launcher, quiet, tempDir } from "./helpers/sweep.js";

/**
 * The README's "Sweeps" commands run as written (on this machine; the --queue ones need Redis
 * and are the queue tests'): each `pnpm sweep ...` line of its bash block is run through the
 * sweep's own entry, its results folder moved from out/sweeps/NAME into a scratch folder.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("\n## Sweeps\n"), readme.indexOf("\n## ", readme.indexOf("\n## Sweeps\n") + 1));
const commands = [...section.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split("\n"))
  .map((line) => line.replace(/#.*$/, "").trim())
  .filter((line) => line.startsWith("pnpm sweep ") && !line.includes("--queue") && !line.includes("--detach"));
const scratch = tempDir("unfold-sweep-readme-");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A README command's arguments: the spec path from the repository root, out/sweeps/NAME moved to the scratch folder. */
function argsOf(line: string): string[] {
  const args = line.split(/\s+/).slice(2);
  const moved = args.map((a) => (a.startsWith("out/sweeps/") ? join(scratch, a.slice("out/sweeps/".length)) : a.endsWith(".json") ? join(repo, a) : a));
  if (moved[0] === "run" && !moved.includes("--out")) moved.push("--out", join(scratch, loadSweepSpec(moved[1]!).name));
  return [...moved, "--json"];
}

describe("the README's sweeps", () => {
  it("has the embedded commands, the growth-rate sweep by its path among them", () => {
    expect(commands).toContain("pnpm sweep run apps/sweep/examples/growth-rate.json --workers 2");
    expect(commands.some((c) => c.startsWith("pnpm sweep results --out "))).toBe(true);
  });

  for (const line of commands) {
    it(line, async () => {
      const io = captureIO();
      await sweepMain(argsOf(line), io, { launcher, progressStream: quiet });
      const summary = JSON.parse(io.lines.at(-1)!) as { jobs: number; done: number; failed: number };
      expect(summary.jobs).toBeGreaterThan(0);
      expect(summary.done).toBe(summary.jobs);
    });
  }

  it("the growth-rate sweep's d_model 16 row is `unfold hessian scaling --quick --json`, slope for slope", () => {
    const rows = readFileSync(join(scratch, "growth-rate", "results.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as ResultRecord);
    const row = rows.find((r) => r.point["d_model"] === 16)!;
    const scaling = spawnSync(launcher.executable, [...launcher.args, "hessian", "scaling", "--quick", "--json"], { encoding: "utf8", timeout: 240_000 });
    expect(scaling.status, scaling.stderr).toBe(0);
    const { slopes } = JSON.parse(scaling.stdout.trim().split("\n").at(-1)!) as { slopes: Record<string, number> };
    expect(Object.keys(row.metrics)).toHaveLength(8);
    for (const [metric, value] of Object.entries(row.metrics)) expect(value).toBe(slopes[metric.replace(/^slopes\./, "")]);
  });
});
