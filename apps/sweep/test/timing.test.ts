import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { captureIO } from "@unfold/testing";
import { afterAll, describe, expect, it } from "vitest";
import { sweepMain } from "../src/index.js";
import type { WorkerTiming } from "../src/commands/timing.js";
import { launcher, tempDir, writeSpec } from "./helpers/sweep.js";

const scratch = tempDir();
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("unfold sweep timing", () => {
  it("runs the whole sweep once per worker count from scratch, reports each wall time against the first, and leaves no folder behind", async () => {
    const spec = writeSpec(scratch, { name: "timed", command: "hessian scaling", base: { points: 3, seeds: 1, samples: 2, batch: 1, "fit-max": 10 }, axes: { d: { flag: "d-model", values: [4, 6] } }, metrics: ["slopes.mlp"] });
    const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith("unfold-sweep-timing-timed-"));
    const before = leftovers();
    const io = captureIO();
    await sweepMain(["timing", spec, "--workers", "1,2", "--json"], io, { launcher });
    const { timings } = JSON.parse(io.lines.at(-1)!) as { timings: WorkerTiming[] };
    expect(timings.map((t) => [t.workers, t.jobs])).toEqual([[1, 2], [2, 2]]);
    expect(timings[0]!.ratio).toBe(1);
    expect(timings[1]!.ratio).toBeCloseTo(timings[1]!.seconds / timings[0]!.seconds, 2);
    expect(io.progressed).toHaveLength(2);
    expect(leftovers()).toEqual(before);
    // Measured, not asserted: reported by the command itself.
    console.log(`sweep timing, 2 small hessian jobs: ${timings.map((t) => `${t.workers} worker(s) ${t.seconds} s`).join(", ")}`);
  });
});
