import { describe, expect, it } from "vitest";
import { barChart } from "../src/index.js";
import { num, ofClass, readChart } from "./helpers.js";
import { texts } from "./xml.js";

const base = { title: "speed against the reference", xLabel: "workload", yLabel: "ratio", width: 500, height: 300 };

describe("barChart", () => {
  it("draws grouped bars from zero to their values", () => {
    const svg = barChart({ ...base, categories: ["matmul", "softmax"], groups: [{ name: "cpu", values: [2, 4] }, { name: "webgpu", values: [Number.NaN, 10] }] });
    const { root, area } = readChart(svg);
    const bars = ofClass(root, "rect", "bar");
    expect(bars).toHaveLength(3);
    const bottom = area.top + area.height;
    for (const [bar, value] of [[bars[0]!, 2], [bars[1]!, 4], [bars[2]!, 10]] as const) {
      expect(num(bar, "y") + num(bar, "height")).toBeCloseTo(bottom, 1);
      expect(num(bar, "height")).toBeCloseTo((area.height * value) / 10, 1);
    }
    expect(texts(root)).toEqual(expect.arrayContaining(["matmul", "softmax", "cpu", "webgpu"]));
  });

  it("grows bars both ways from a baseline of 1 on a log axis", () => {
    const svg = barChart({ ...base, logY: true, baseline: 1, categories: ["a", "b"], groups: [{ name: "x", values: [10, 0.1] }] });
    const { root, area } = readChart(svg);
    const [up, down] = ofClass(root, "rect", "bar");
    const middle = area.top + area.height / 2;
    expect(num(up!, "y") + num(up!, "height")).toBeCloseTo(middle, 1);
    expect(num(up!, "y")).toBeCloseTo(area.top, 1);
    expect(num(down!, "y")).toBeCloseTo(middle, 1);
    expect(num(down!, "height")).toBeCloseTo(area.height / 2, 1);
    expect(ofClass(root, "line", "baseline")).toHaveLength(1);
  });

  it("draws a value at or near the baseline as a 3 px bar on its own side, not as nothing", () => {
    const values = [1, 1.001, 0.999, 4];
    const svg = barChart({ ...base, logY: true, baseline: 1, categories: ["a"], groups: values.map((v, i) => ({ name: `g${i}`, values: [v] })) });
    const { root, area } = readChart(svg);
    const [flat, above, below, tall] = ofClass(root, "rect", "bar");
    const baseline = num(tall!, "y") + num(tall!, "height");
    for (const bar of [flat, above, below]) expect(num(bar!, "height")).toBe(3);
    expect(num(flat!, "y") + 1.5).toBeCloseTo(baseline, 6);
    expect(num(above!, "y") + 3).toBeCloseTo(baseline, 6);
    expect(num(below!, "y")).toBeCloseTo(baseline, 6);
    expect(num(tall!, "height")).toBeGreaterThan(area.height / 10);
  });

  it("rejects what a log axis cannot show", () => {
    expect(() => barChart({ ...base, logY: true, categories: ["a"], groups: [{ name: "tfjs", values: [0] }] })).toThrow(/group "tfjs", category "a" has the value 0/);
    expect(() => barChart({ ...base, logY: true, baseline: 0, categories: ["a"], groups: [{ name: "g", values: [1] }] })).toThrow(/baseline 0/);
    expect(() => barChart({ ...base, categories: ["a", "b"], groups: [{ name: "g", values: [1] }] })).toThrow(/group "g" has 1 values for 2 categories/);
  });
});
