import { describe, expect, it } from "vitest";
import { type BenchRow, type Engine, maxRelativeError, summarize, withRatios } from "../src/index.js";

describe("summarize", () => {
  it("gives the median (the mean of the middle two for an even count), min and max", () => {
    expect(summarize([5, 1, 3])).toEqual({ medianMs: 3, minMs: 1, maxMs: 5, madMs: 2 });
    // Deviations from 3.5: 2.5, 0.5, 0.5, 6.5; their median is 1.5, the outlier does not count.
    expect(summarize([4, 1, 3, 10])).toEqual({ medianMs: 3.5, minMs: 1, maxMs: 10, madMs: 1.5 });
  });
});

describe("maxRelativeError", () => {
  const ref = { a: Float64Array.of(3, 4), b: Float64Array.of(1, 0) };

  it("is the worst output's ||out - ref|| / ||ref||", () => {
    expect(maxRelativeError({ a: Float64Array.of(3, 4), b: Float64Array.of(1, 0.5) }, ref)).toBeCloseTo(0.5, 15);
    expect(maxRelativeError({ a: Float64Array.of(3, 4.5), b: Float64Array.of(1, 0) }, ref)).toBeCloseTo(0.1, 15);
  });

  it("makes NaN the worst, and a missing or misshapen output an error", () => {
    expect(maxRelativeError({ a: Float64Array.of(NaN, 4), b: Float64Array.of(1, 0) }, ref)).toBe(Infinity);
    expect(() => maxRelativeError({ a: Float64Array.of(3, 4) }, ref)).toThrow(/no output 'b'/);
    expect(() => maxRelativeError({ a: Float64Array.of(3), b: Float64Array.of(1, 0) }, ref)).toThrow(/'a' has 1 values, the reference 2/);
  });
});

describe("withRatios", () => {
  const engine = (name: string, peer: boolean): Engine => ({ name, peer, prepare: () => Promise.reject(new Error("unused")) });
  const row = (engine: string, medianMs: number | null): BenchRow => ({
    workload: "matmul",
    size: "2x2x2",
    engine,
    medianMs,
    minMs: medianMs,
    maxMs: medianMs,
    madMs: medianMs === null ? null : 0,
    runs: medianMs === null ? 0 : 1,
    gflops: null,
    relErr: null,
    ratioVsBestPeer: null,
    heapMB: null,
    poolMB: null,
  });

  it("divides the fastest peer's median by each row's, peers included", () => {
    const engines = [engine("mine", false), engine("p1", true), engine("p2", true), engine("p3", true)];
    const rows = withRatios([row("mine", 5), row("p1", 10), row("p2", 20), row("p3", null)], engines);
    expect(rows.map((r) => r.ratioVsBestPeer)).toEqual([2, 1, 0.5, null]);
  });

  it("does not take a peer with a wrong result as the baseline, but still gives it a ratio", () => {
    const engines = [engine("mine", false), engine("fast-wrong", true), engine("p2", true)];
    const wrong = { ...row("fast-wrong", 2), relErr: 0.6 };
    const rows = withRatios([row("mine", 5), wrong, { ...row("p2", 10), relErr: 1e-7 }], engines, 1e-3);
    expect(rows.map((r) => r.ratioVsBestPeer)).toEqual([2, 5, 1]);
  });

  it("is null for everyone when no peer has a time", () => {
    const rows = withRatios([row("mine", 5), row("p1", null)], [engine("mine", false), engine("p1", true)]);
    expect(rows.map((r) => r.ratioVsBestPeer)).toEqual([null, null]);
  });
});
