import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTicks, logTicks, niceDomain, niceStep, niceTicks } from "../src/index.js";

describe("niceTicks", () => {
  it("picks 1-2-5 steps and exact decimal values", () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.1, 0.7, 6)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(niceTicks(-3.7, 12.2)).toEqual([0, 5, 10]);
    expect(niceTicks(-1, 1)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(1200, 9800, 4)).toEqual([2000, 4000, 6000, 8000]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(Object.is(niceTicks(-1, 1)[2], 0)).toBe(true);
    // A span at the edge of double precision ends (it once counted past 2^53 forever).
    expect(niceTicks(1e9, 1e9 + 1e-6).length).toBeLessThanOrEqual(2);
    expect(niceDomain(1e15, 1e15 + 0.125).hi - niceDomain(1e15, 1e15 + 0.125).lo).toBeGreaterThan(0);
  });

  it("rejects bounds it cannot tick", () => {
    expect(() => niceTicks(Number.NaN, 1)).toThrow(/finite/);
    expect(() => niceTicks(0, Infinity)).toThrow(/finite/);
    expect(() => niceTicks(2, 1)).toThrow(/lo must not exceed hi/);
    expect(() => niceTicks(0, 1, 0)).toThrow(/count/);
  });

  it("always lands inside the range, evenly spaced on a 1, 2 or 5 step", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), fc.integer({ min: 2, max: 10 }), (lo, span, count) => {
        const hi = lo + span;
        if (hi === lo) return;
        const ticks = niceTicks(lo, hi, count);
        // A span below what doubles resolve at this magnitude may fall between two ticks.
        const resolvable = (hi - lo) / count >= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi));
        if (resolvable) expect(ticks.length).toBeGreaterThanOrEqual(1);
        expect(ticks.length).toBeLessThanOrEqual(3 * count + 1);
        const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : span;
        // Values of large ticks carry rounding; an extreme within 1e-9 steps counts as on a tick.
        const noise = 1e-12 * (Math.abs(lo) + Math.abs(hi));
        for (const t of ticks) {
          expect(t).toBeGreaterThanOrEqual(lo - 1e-9 * step - noise);
          expect(t).toBeLessThanOrEqual(hi + 1e-9 * step + noise);
        }
        if (ticks.length > 1) {
          const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
          expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) <= 1e-6 + (10 * noise) / step)).toBe(true);
          for (let i = 1; i < ticks.length; i++) expect(Math.abs(ticks[i]! - ticks[i - 1]! - step)).toBeLessThanOrEqual(2 * noise + 1e-12 * step);
        }
      }),
    );
  });
});

describe("niceDomain and labels", () => {
  it("widens to the surrounding ticks, and keeps integer data on integer steps", () => {
    expect(niceDomain(0.0123, 0.987)).toMatchObject({ lo: 0, hi: 1 });
    expect(niceDomain(-13, 87)).toMatchObject({ lo: -20, hi: 100 });
    const { lo, hi } = niceDomain(3, 3);
    expect(lo).toBeLessThan(3);
    expect(hi).toBeGreaterThan(3);
    expect(niceDomain(0, 3, 5, 1)).toMatchObject({ lo: 0, hi: 3, step: { mantissa: 1, exponent: 0 } });
    expect(niceStep(0.6, 1)).toEqual({ mantissa: 1, exponent: 0 });
    expect(niceStep(999.9999)).toEqual({ mantissa: 1, exponent: 3 });
  });

  it("formats ticks with the decimals the step needs, one style per axis", () => {
    expect(formatTicks([0, 0.2, 0.4], { mantissa: 2, exponent: -1 })).toEqual(["0", "0.2", "0.4"]);
    expect(formatTicks([-5, 0, 5], { mantissa: 5, exponent: 0 })).toEqual(["-5", "0", "5"]);
    expect(formatTicks([0, 500000, 1000000], { mantissa: 5, exponent: 5 })).toEqual(["0", "5e5", "1e6"]);
    expect(formatTicks([2e-5, 4e-5], { mantissa: 2, exponent: -5 })).toEqual(["2e-5", "4e-5"]);
    expect(formatTicks([0.0025, 0.005], { mantissa: 5, exponent: -4 })).toEqual(["0.0025", "0.0050"]);
  });
});

describe("logTicks", () => {
  it("labels every decade, with short plain numbers where they stay short", () => {
    const { major, minor } = logTicks(1e-3, 1e3);
    expect(major.map((t) => t.value)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    expect(major.map((t) => t.label)).toEqual(["0.001", "0.01", "0.1", "1", "10", "100", "1000"]);
    expect(minor).toContain(0.2);
    expect(minor).toContain(900);
  });

  it("adds 2 and 5 on a short axis and thins a long one", () => {
    expect(logTicks(1, 100).major.map((t) => t.label)).toEqual(["1", "2", "5", "10", "20", "50", "100"]);
    const wide = logTicks(1e-12, 1e12).major;
    expect(wide.map((t) => t.label)).toEqual(["1e-12", "1e-9", "1e-6", "0.001", "1", "1000", "1e6", "1e9", "1e12"]);
    expect(() => logTicks(0, 1)).toThrow(/positive/);
  });
});
