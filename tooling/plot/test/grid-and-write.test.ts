import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chartGrid, lineChart, writeSvg } from "../src/index.js";
import { findAll, parseXml, texts } from "./xml.js";

const dir = mkdtempSync(join(tmpdir(), "unfold-plot-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const panel = (name: string): string => lineChart({ title: name, xLabel: "layer", yLabel: "", width: 300, height: 200, series: [{ name, x: [0, 1], y: [1, 2] }] });

describe("chartGrid", () => {
  it("nests the charts row by row under one title", () => {
    const svg = chartGrid({ title: "terms & totals", charts: [panel("a"), panel("b"), panel("c")], columns: 2 });
    const root = parseXml(svg);
    expect(root.attributes).toMatchObject({ width: "600", height: String(30 + 2 * 200) });
    const nested = root.children.filter((e) => e.name === "svg");
    expect(nested.map((e) => [e.attributes["x"], e.attributes["y"]])).toEqual([["0", "30"], ["300", "30"], ["0", "230"]]);
    expect(texts(root)).toEqual(expect.arrayContaining(["terms & totals", "a", "b", "c"]));
    expect(findAll(root, "polyline")).toHaveLength(3);
  });

  it("refuses SVG it did not make", () => {
    expect(() => chartGrid({ charts: ["<svg/>"] })).toThrow(/chart 0 is not an SVG made by @unfold\/plot/);
  });
});

describe("writeSvg", () => {
  it("creates parent folders, ends the file with a newline and leaves no temporary file", () => {
    const path = join(dir, "deep", "er", "figure.svg");
    writeSvg(path, "<svg/>");
    expect(readFileSync(path, "utf8")).toBe("<svg/>\n");
    writeSvg(path, panel("again"));
    expect(readFileSync(path, "utf8")).toMatch(/^<svg [\s\S]*again[\s\S]*<\/svg>\n$/);
    expect(readdirSync(join(dir, "deep", "er"))).toEqual(["figure.svg"]);
  });

  it("leaves the old file whole when the write fails", () => {
    const path = join(dir, "kept.svg");
    writeSvg(path, "<svg/>");
    // A directory where the temporary file's parent should be a folder cannot be written.
    expect(() => writeSvg(join(path, "inside.svg"), "<svg/>")).toThrow();
    expect(readFileSync(path, "utf8")).toBe("<svg/>\n");
    expect(existsSync(join(path, "inside.svg"))).toBe(false);
  });
});
