// How many threads the page's CPU backend opens with: one where the page is not cross-origin
// isolated (the backend refuses more there), else a core less than the browser reports, up to 4.
import { describe, expect, it } from "vitest";
import { cpuThreadsFor } from "../src/backends.js";

describe("the page's CPU threads", () => {
  it("are one where the page is not cross-origin isolated, however many cores", () => {
    for (const cores of [1, 2, 8, 64]) expect(cpuThreadsFor(false, cores)).toBe(1);
  });

  it("leave one of the browser's cores to the browser, up to four threads", () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => cpuThreadsFor(true, cores))).toEqual([1, 1, 2, 3, 4, 4, 4]);
  });

  it("are one where the browser reports no usable core count", () => {
    for (const cores of [0, Number.NaN, Number.POSITIVE_INFINITY]) expect(cpuThreadsFor(true, cores)).toBe(1);
  });
});
