import { describe, expect, it } from "vitest";
import { lineChart } from "../src/index.js";
import { num, ofClass, points, readChart } from "./helpers.js";
import { findAll, texts } from "./xml.js";

const base = { title: "loss", xLabel: "step", yLabel: "loss", width: 500, height: 300 };

describe("lineChart", () => {
  it("maps data to the pixels of the plot area", () => {
    const svg = lineChart({ ...base, series: [{ name: "train", x: [0, 5, 10], y: [0, 50, 100] }] });
    const { root, area } = readChart(svg);
    const [line] = ofClass(root, "polyline", "line");
    const expected = [
      [area.left, area.top + area.height],
      [area.left + area.width / 2, area.top + area.height / 2],
      [area.left + area.width, area.top],
    ];
    points(line!).forEach(([x, y], i) => {
      expect(x).toBeCloseTo(expected[i]![0]!, 1);
      expect(y).toBeCloseTo(expected[i]![1]!, 1);
    });
    // The "40" tick label sits at 40% of the height, centred on its tick (+4 for the baseline).
    const label = findAll(root, "text").find((t) => t.text === "40")!;
    expect(num(label, "y")).toBeCloseTo(area.top + area.height * 0.6 + 4, 1);
    expect(texts(root)).toEqual(expect.arrayContaining(["loss", "step", "0", "20", "100", "0", "2", "10"]));
  });

  it("maps log axes by decades", () => {
    const svg = lineChart({ ...base, logX: true, logY: true, series: [{ name: "norm", x: [1, 10, 100], y: [1e-3, 1e-1, 10] }] });
    const { root, area } = readChart(svg);
    const [a, b, c] = points(ofClass(root, "polyline", "line")[0]!);
    expect(a![0]).toBeCloseTo(area.left, 1);
    expect(b![0]).toBeCloseTo(area.left + area.width / 2, 1);
    expect(c![0]).toBeCloseTo(area.left + area.width, 1);
    expect(b![1]).toBeCloseTo(area.top + area.height / 2, 1);
    expect(texts(root)).toEqual(expect.arrayContaining(["0.001", "0.01", "0.1", "1", "10", "100"]));
  });

  it("skips NaN and infinite points, breaking the line and dotting points left alone", () => {
    const svg = lineChart({ ...base, series: [{ name: "s", x: [0, 1, 2, 3, 4, 5], y: [1, Number.NaN, 3, 4, Infinity, 6] }] });
    const { root } = readChart(svg);
    expect(ofClass(root, "polyline", "line").map((l) => points(l).length)).toEqual([2]);
    expect(ofClass(root, "circle", "marker")).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it("draws markers and dashes on request, and a legend for several series", () => {
    const svg = lineChart({
      ...base,
      series: [
        { name: "measured", x: [1, 2, 3], y: [1, 2, 3], markers: true },
        { name: "predicted", x: [1, 3], y: [1, 3], dashed: true, color: "#123456" },
        { name: "hidden", x: [1, 3], y: [2, 2], legend: false },
      ],
    });
    const { root } = readChart(svg);
    expect(ofClass(root, "circle", "marker")).toHaveLength(3);
    const lines = ofClass(root, "polyline", "line");
    expect(lines[1]!.attributes["stroke-dasharray"]).toBe("6 4");
    expect(lines[1]!.attributes["stroke"]).toBe("#123456");
    expect(lines[0]!.attributes["stroke-dasharray"]).toBeUndefined();
    expect(texts(root)).toEqual(expect.arrayContaining(["measured", "predicted"]));
    expect(texts(root)).not.toContain("hidden");
  });

  it("clips lines to fixed domains", () => {
    const svg = lineChart({ ...base, yDomain: [0, 10], xDomain: [0, 4], series: [{ name: "s", x: [0, 2, 4, 6], y: [0, 20, 5, 5] }] });
    const { root, area } = readChart(svg);
    const all = ofClass(root, "polyline", "line").flatMap(points);
    expect(all.length).toBeGreaterThan(0);
    for (const [x, y] of all) {
      expect(x).toBeGreaterThanOrEqual(area.left - 0.5);
      expect(x).toBeLessThanOrEqual(area.left + area.width + 0.5);
      expect(y).toBeGreaterThanOrEqual(area.top - 0.5);
      expect(y).toBeLessThanOrEqual(area.top + area.height + 0.5);
    }
    // Two pieces: up to where the line leaves through the top, and back in down to (4, 5).
    expect(ofClass(root, "polyline", "line")).toHaveLength(2);
  });

  it("escapes every piece of text", () => {
    const title = `a < b & "c" 'd' > e`;
    const svg = lineChart({ ...base, title, xLabel: "x</text><script>", yLabel: "y\u0007", series: [{ name: "<b>&amp;", x: [0, 1], y: [0, 1], color: '"red" onload="x"' }] , legend: true });
    const { root } = readChart(svg);
    expect(texts(root)).toEqual(expect.arrayContaining([title, "x</text><script>", "y\uFFFD", "<b>&amp;"]));
    expect(svg).not.toContain("<script>");
    expect(texts(readChart(lineChart({ ...base, title: "half \uD800 a pair", series: [] })).root)).toContain("half \uFFFD a pair");
    expect(ofClass(root, "polyline", "line")[0]!.attributes["stroke"]).toBe('"red" onload="x"');
  });

  it("rejects what it cannot draw, naming the series", () => {
    expect(() => lineChart({ ...base, logY: true, series: [{ name: "loss", x: [0, 1, 2], y: [1, 0.5, 0] }] })).toThrow(
      'lineChart "loss": series "loss" has y = 0 at index 2, but a log y axis can only show positive values',
    );
    expect(() => lineChart({ ...base, logX: true, series: [{ name: "lr", x: [-1, 1], y: [1, 1] }] })).toThrow(/series "lr" has x = -1 at index 0/);
    expect(() => lineChart({ ...base, series: [{ name: "short", x: [0, 1], y: [1] }] })).toThrow(/series "short" has 2 x values but 1 y values/);
    expect(() => lineChart({ ...base, logY: true, yDomain: [0, 1], series: [] })).toThrow(/log axis needs a positive domain/);
    expect(() => lineChart({ ...base, xDomain: [1, 1], series: [] })).toThrow(/low before high/);
  });

  it("keeps integer data on integer ticks, and draws an empty chart", () => {
    const { root } = readChart(lineChart({ ...base, series: [{ name: "layers", x: [0, 1, 2, 3], y: [5, 4, 3.5, 3.2] }] }));
    const xLabels = texts(root).filter((t) => /^\d+$/.test(t));
    expect(xLabels).toEqual(expect.arrayContaining(["0", "1", "2", "3"]));
    expect(texts(root)).not.toContain("0.5");
    expect(() => readChart(lineChart({ ...base, series: [] }))).not.toThrow();
    expect(() => readChart(lineChart({ ...base, logY: true, series: [{ name: "empty", x: [], y: [] }] }))).not.toThrow();
  });

  it("handles a long training curve (no spread of its values into Math.min)", () => {
    const x = Array.from({ length: 300_000 }, (_, i) => i);
    const svg = lineChart({ ...base, series: [{ name: "loss", x, y: x.map((i) => 1 / (1 + i)) }] });
    expect(svg.length).toBeGreaterThan(300_000);
  });
});
