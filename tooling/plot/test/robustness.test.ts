import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { barChart, boxPlot, lineChart, niceDomain, niceTicks } from "../src/index.js";
import { parseXml } from "./xml.js";

// Any finite data, from subnormals to the largest doubles, must give a well-formed figure with
// real coordinates: no NaN or Infinity may reach the SVG, and no tick loop may run away.
const wellDrawn = (svg: string): void => {
  expect(svg).not.toMatch(/NaN|Infinity/);
  parseXml(svg);
};
const base = { title: "t", xLabel: "x", yLabel: "y" };
const category = (_: unknown, i: number): string => `c${i}`;

describe("any finite data", () => {
  it("ticks and domains stay finite and end", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, min: 0, noDefaultInfinity: true }), fc.integer({ min: 1, max: 12 }), (lo, span, count) => {
        const hi = lo + span;
        if (!Number.isFinite(hi)) return;
        expect(niceTicks(lo, hi, count).length).toBeLessThan(100);
        const d = niceDomain(lo, hi, count);
        expect(Number.isFinite(d.lo) && Number.isFinite(d.hi) && d.hi > d.lo).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("draws on linear axes", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noDefaultInfinity: true, noNaN: true }), { maxLength: 12 }), (ys) => {
        wellDrawn(lineChart({ ...base, series: [{ name: "s", x: ys.map((_, i) => i), y: ys }] }));
        wellDrawn(barChart({ ...base, categories: ys.map(category), groups: [{ name: "g", values: ys }] }));
        wellDrawn(boxPlot({ ...base, categories: ["a", "b"], groups: [{ name: "g", samples: [ys, ys.slice(1)] }] }));
      }),
      { numRuns: 300 },
    );
  });

  it("draws on log axes", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: Number.MIN_VALUE, noDefaultInfinity: true, noNaN: true }), { maxLength: 12 }), (ys) => {
        wellDrawn(lineChart({ ...base, logX: true, logY: true, series: [{ name: "s", x: ys.map((_, i) => i + 1), y: ys }] }));
        wellDrawn(barChart({ ...base, logY: true, categories: ys.map(category), groups: [{ name: "g", values: ys }] }));
        wellDrawn(boxPlot({ ...base, logY: true, categories: ["a"], groups: [{ name: "g", samples: [ys] }] }));
      }),
      { numRuns: 300 },
    );
  });
});
