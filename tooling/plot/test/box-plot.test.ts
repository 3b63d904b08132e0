import { describe, expect, it } from "vitest";
import { boxPlot } from "../src/index.js";
import { num, ofClass, readChart } from "./helpers.js";
import { texts } from "./xml.js";

const base = { title: "per-layer energy", xLabel: "layer", yLabel: "energy", width: 600, height: 400 };

describe("boxPlot", () => {
  it("draws the hand-computed box, whiskers and outlier at the right heights", () => {
    // q1 3.25, median 5.5, q3 7.75, whiskers 1 and 9, 100 an outlier; the y axis runs 0..100.
    const svg = boxPlot({ ...base, categories: ["only"], groups: [{ name: "g", samples: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 100]] }] });
    const { root, area } = readChart(svg);
    const py = (v: number): number => area.top + area.height * (1 - v / 100);
    const [box] = ofClass(root, "rect", "box");
    expect(num(box!, "y")).toBeCloseTo(py(7.75), 1);
    expect(num(box!, "y") + num(box!, "height")).toBeCloseTo(py(3.25), 1);
    expect(num(ofClass(root, "line", "median")[0]!, "y1")).toBeCloseTo(py(5.5), 1);
    const whiskerEnds = ofClass(root, "line", "whisker").slice(0, 2).map((l) => num(l, "y2"));
    expect(whiskerEnds[0]).toBeCloseTo(py(9), 1);
    expect(whiskerEnds[1]).toBeCloseTo(py(1), 1);
    const outliers = ofClass(root, "circle", "outlier");
    expect(outliers).toHaveLength(1);
    expect(num(outliers[0]!, "cy")).toBeCloseTo(py(100), 1);
    // The box is centred in its band.
    expect(num(box!, "x") + num(box!, "width") / 2).toBeCloseTo(area.left + area.width / 2, 1);
  });

  it("sets groups side by side, leaves empty samples blank, and counts skipped values in the legend", () => {
    const svg = boxPlot({
      ...base,
      categories: ["layer 1", "layer 2"],
      groups: [
        { name: "before training", samples: [[1, 2, 3], [2, 3, Number.NaN, 4]] },
        { name: "after training", samples: [[0.5, 1], []] },
      ],
    });
    const { root, area } = readChart(svg);
    const boxes = ofClass(root, "rect", "box");
    expect(boxes).toHaveLength(3);
    const centres = boxes.map((b) => num(b, "x") + num(b, "width") / 2);
    const band = area.width / 2;
    expect(centres[0]).toBeLessThan(area.left + band / 2);
    expect(centres[2]).toBeGreaterThan(area.left + band / 2);
    expect(centres[2]).toBeLessThan(area.left + band);
    expect(texts(root)).toEqual(expect.arrayContaining(["layer 1", "layer 2", "before training (1 non-finite skipped)", "after training"]));
    expect(svg).not.toMatch(/NaN/);
  });

  it("takes log-axis statistics over log10 of the values", () => {
    const svg = boxPlot({ ...base, logY: true, categories: ["c"], groups: [{ name: "g", samples: [[1, 10, 100, 1000, 10000]] }] });
    const { root, area } = readChart(svg);
    // log10 values 0..4: median 2 sits half way up the 1..1e4 axis, quartiles at 1 and 3 decades.
    expect(num(ofClass(root, "line", "median")[0]!, "y1")).toBeCloseTo(area.top + area.height / 2, 1);
    const [box] = ofClass(root, "rect", "box");
    expect(num(box!, "height")).toBeCloseTo(area.height / 2, 1);
    expect(ofClass(root, "circle", "outlier")).toHaveLength(0);
  });

  it("rejects values a log axis cannot show and samples that do not match the categories", () => {
    expect(() => boxPlot({ ...base, logY: true, categories: ["a", "b"], groups: [{ name: "after", samples: [[1], [2, -3]] }] })).toThrow(
      'boxPlot "per-layer energy": group "after", category "b" has the value -3, but a log y axis can only show positive values',
    );
    expect(() => boxPlot({ ...base, categories: ["a", "b"], groups: [{ name: "g", samples: [[1]] }] })).toThrow(/group "g" has 1 samples for 2 categories/);
  });

  it("slants long category names instead of overlapping them", () => {
    const names = Array.from({ length: 12 }, (_, i) => `a rather long category name ${i}`);
    const svg = boxPlot({ ...base, categories: names, groups: [{ name: "g", samples: names.map(() => [1, 2, 3]) }] });
    const { root } = readChart(svg);
    const labels = root.children.filter((e) => e.name === "text" && e.text.startsWith("a rather"));
    expect(labels).toHaveLength(12);
    for (const l of labels) expect(l.attributes["transform"]).toMatch(/^rotate\(-35 /);
  });
});
