import { describe, expect, it } from "vitest";
import { timeInterleaved } from "../src/index.js";

/** A step that logs its name, optionally taking `ms` of busy time or throwing on call `failOn`. */
function logged(name: string, log: string[], options: { ms?: number; failOn?: number } = {}): () => Promise<void> {
  let calls = 0;
  return async () => {
    calls++;
    if (calls === options.failOn) throw new Error(`${name} broke`);
    log.push(name);
    const until = performance.now() + (options.ms ?? 0);
    while (performance.now() < until);
  };
}

describe("timeInterleaved", () => {
  it("warms every engine up first, then times them in rounds that start with a different engine each time", async () => {
    const log: string[] = [];
    const timings = await timeInterleaved([
      { step: logged("a", log), repeats: 3, warmup: 1 },
      { step: logged("b", log), repeats: 3, warmup: 1 },
      { step: logged("c", log), repeats: 3, warmup: 1 },
    ]);
    expect(log.join("")).toBe("abc" + "abc" + "bca" + "cab");
    expect(timings.map((t) => ("runs" in t ? t.runs : -1))).toEqual([3, 3, 3]);
  });

  it("lets an engine with fewer repetitions drop out while the others go on", async () => {
    const log: string[] = [];
    const timings = await timeInterleaved([
      { step: logged("a", log), repeats: 1, warmup: 0 },
      { step: logged("b", log), repeats: 3, warmup: 2 },
    ]);
    expect(log.join("")).toBe("bb" + "ab" + "b" + "b");
    expect(timings.map((t) => ("runs" in t ? t.runs : -1))).toEqual([1, 3]);
  });

  it("counts times taken before, and stops an engine once its own run time passes the budget (one timed run always)", async () => {
    const log: string[] = [];
    const timings = await timeInterleaved(
      [
        { step: logged("slow", log, { ms: 20 }), repeats: 5, warmup: 3 },
        { step: logged("fast", log), repeats: 4, warmup: 0 },
        { step: logged("checked", log), repeats: 1, warmup: 0, already: [42] },
      ],
      { budgetMs: 10 },
    );
    // slow: one warm-up spends its budget, then exactly one timed run.
    expect(log.filter((n) => n === "slow")).toHaveLength(2);
    expect(log.filter((n) => n === "fast")).toHaveLength(4);
    expect(log).not.toContain("checked");
    expect(timings[0]).toMatchObject({ runs: 1 });
    expect((timings[0] as { medianMs: number }).medianMs).toBeGreaterThanOrEqual(20);
    expect(timings[2]).toEqual({ medianMs: 42, minMs: 42, maxMs: 42, madMs: 0, runs: 1 });
  });

  it("with the budget already spent starts no warm-up and exactly one timed run", async () => {
    const log: string[] = [];
    const timings = await timeInterleaved([{ step: logged("a", log), repeats: 5, warmup: 2 }], { budgetMs: 0 });
    expect(log).toEqual(["a"]);
    expect(timings[0]).toMatchObject({ runs: 1 });
  });

  it("reports an engine whose step throws, and times the others to the end", async () => {
    const log: string[] = [];
    const timings = await timeInterleaved([
      { step: logged("a", log, { failOn: 2 }), repeats: 3, warmup: 0 },
      { step: logged("b", log), repeats: 3, warmup: 0 },
    ]);
    expect(timings[0]).toEqual({ error: new Error("a broke") });
    expect(timings[1]).toMatchObject({ runs: 3 });
    expect(log.join("")).toBe("ab" + "b" + "b");
  });

  it("leaves the gap idle before each run", async () => {
    const starts: number[] = [];
    const step = async (): Promise<void> => void starts.push(performance.now());
    await timeInterleaved([{ step, repeats: 3, warmup: 0 }], { gapMs: 15 });
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(14);
  });
});
