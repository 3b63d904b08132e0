import { describe, expect, it } from "vitest";
import { JOB_ID, MAX_JOBS, SpecError, expandSpec, parseSweepSpec, validateSweepSpec } from "../src/index.js";

/**
 * The spec: every refusal names the file and the field, and the expansion into jobs is a pure,
 * deterministic function of the spec (a queue worker re-expands it and must find the same jobs).
 */

const TRAIN = {
  name: "grid",
  command: "train",
  base: { task: { kind: "mnist" }, train: { epochs: 1 } },
  axes: { dim: { path: "model.dim", values: [8, 16] } },
  metrics: ["testAccuracy"],
};
const HESSIAN = {
  name: "growth",
  command: "hessian scaling",
  base: { quick: true },
  axes: { d: { flag: "d-model", values: [8, 16] } },
  metrics: ["slopes.Q_outer"],
};

/** [what the case changes, the spec, what the message must name after "spec.json: field "]. */
const REFUSALS: readonly (readonly [string, unknown, readonly string[]])[] = [
  ["an unknown top-level field", { ...TRAIN, extra: 1 }, ["field (top level)", '"extra"']],
  ["a name with capitals", { ...TRAIN, name: "Grid" }, ["field name", "a-z"]],
  ["a name with a slash", { ...TRAIN, name: "../up" }, ["field name"]],
  ["an unknown command", { ...TRAIN, command: "rm" }, ["field command", '"train"', '"hessian scaling"', '"bench"']],
  ["no axes", { ...TRAIN, axes: {} }, ["field axes", "at least one axis"]],
  ["a bad axis name", { ...TRAIN, axes: { "1x": { path: "model.dim", values: [1] } } }, ["field axes", "axis name"]],
  ["an unknown axis field", { ...TRAIN, axes: { dim: { path: "model.dim", values: [1], step: 2 } } }, ["field axes.dim", '"step"']],
  ["an axis with values and a range", { ...TRAIN, axes: { dim: { path: "model.dim", values: [1], range: { from: 1, to: 2, count: 2 } } } }, ["field axes.dim", "not both"]],
  ["an axis with neither", { ...TRAIN, axes: { dim: { path: "model.dim" } } }, ["field axes.dim", "not neither"]],
  ["a train axis naming a flag", { ...TRAIN, axes: { dim: { flag: "dim", values: [8] } } }, ["field axes.dim.flag", "config path"]],
  ["a train axis path with an empty segment", { ...TRAIN, axes: { dim: { path: "model..dim", values: [8] } } }, ["field axes.dim.path", '"model..dim"']],
  ["a train axis setting out", { ...TRAIN, axes: { o: { path: "out", values: ["/etc"] } } }, ["field axes.o.path", "out"]],
  ["a train base setting out", { ...TRAIN, base: { out: "/etc" } }, ["field base.out", "remove it"]],
  ["a base value an axis replaces", { ...TRAIN, base: { model: { dim: 4 } } }, ["field base.model.dim", "axis dim"]],
  ["two axes on one field", { ...TRAIN, axes: { a: { path: "model.dim", values: [8] }, b: { path: "model", values: [1] } } }, ["field axes.b", '"model"', "axis a"]],
  ["a value listed twice", { ...TRAIN, axes: { dim: { path: "model.dim", values: [8, 8] } } }, ["field axes.dim.values.1", "listed twice"]],
  ["a hessian axis naming a path", { ...HESSIAN, axes: { d: { path: "model.dim", values: [8] } } }, ["field axes.d.path", "takes flags"]],
  ["a hessian axis on a flag that writes a file", { ...HESSIAN, axes: { p: { flag: "plot", values: ["x.svg"] } } }, ["field axes.p.flag", '"plot"', "d-model"]],
  ["a flag value of the wrong type", { ...HESSIAN, axes: { d: { flag: "d-model", values: [8, "16"] } } }, ["field axes.d.values.1", "--d-model", "integer", '"16"']],
  ["a word value that is a path", { ...HESSIAN, axes: { b: { flag: "backend", values: ["../x"] } } }, ["field axes.b.values.0", "--backend", "no path"]],
  ["a word value starting with a dash", { ...HESSIAN, axes: { b: { flag: "backend", values: ["--plot=x"] } } }, ["field axes.b.values.0", "--backend", "dash"]],
  ["a base flag the sweep does not allow", { ...HESSIAN, base: { plot: "/tmp/x.svg" } }, ["field base.plot", '"plot"']],
  ["a switch given a number", { ...HESSIAN, base: { quick: 1 } }, ["field base.quick", "--quick", "true or false"]],
  ["a bench flag reading a file", { ...HESSIAN, command: "bench", axes: { s: { flag: "size", values: ["small"] } }, base: { compare: "old.json" } }, ["field base.compare", '"compare"']],
  ["a range going down", { ...TRAIN, axes: { dim: { path: "model.dim", range: { from: 4, to: 2, count: 3 } } } }, ["field axes.dim.range", "below"]],
  ["a log range from 0", { ...TRAIN, axes: { lr: { path: "train.learningRate", range: { from: 0, to: 1, count: 3, scale: "log" } } } }, ["field axes.lr.range.from", "above 0"]],
  ["a grid range without a count", { ...TRAIN, axes: { lr: { path: "train.learningRate", range: { from: 0.1, to: 1 } } } }, ["field axes.lr.range", "count"]],
  ["a random range with a count", { ...TRAIN, search: { random: { count: 3, seed: 1 } }, axes: { lr: { path: "train.learningRate", range: { from: 0.1, to: 1, count: 3 } } } }, ["field axes.lr.range.count", "random"]],
  ["an integer flag's range without rounding", { ...HESSIAN, axes: { d: { flag: "d-model", range: { from: 8, to: 64, count: 4 } } } }, ["field axes.d.range.integer", "--d-model"]],
  ["a rounded range with repeats", { ...TRAIN, axes: { l: { path: "model.layers", range: { from: 1, to: 2, count: 4, integer: true } } } }, ["field axes.l.range", "more than once"]],
  ["a range on a switch", { ...HESSIAN, axes: { q: { flag: "quick", range: { from: 0, to: 1, count: 2 } } } }, ["field axes.q.range", "--quick", "list"]],
  ["a seed on a non-integer flag", { ...HESSIAN, seed: { flag: "backend" } }, ["field seed.flag", "--backend", "integer"]],
  ["no metrics", { ...TRAIN, metrics: [] }, ["field metrics"]],
  ["a metric that is no path", { ...TRAIN, metrics: ["test accuracy"] }, ["field metrics.0", "path"]],
  ["a metric listed twice", { ...TRAIN, metrics: ["a", "a"] }, ["field metrics.1", "twice"]],
  ["repeats 0", { ...TRAIN, repeats: 0 }, ["field repeats"]],
  ["repeats as text", { ...TRAIN, repeats: "2" }, ["field repeats", "got string"]],
  ["negative retries", { ...TRAIN, retries: -1 }, ["field retries"]],
  ["too many jobs", { ...TRAIN, axes: { a: { path: "model.dim", range: { from: 1, to: 200, count: 200, integer: true } }, b: { path: "model.layers", range: { from: 1, to: 100, count: 100, integer: true } } } }, ["field axes", "20000 jobs", String(MAX_JOBS)]],
];

describe("a sweep spec is refused with the file and the field named", () => {
  for (const [what, spec, mentions] of REFUSALS) {
    it(what, () => {
      let message = "";
      try {
        parseSweepSpec(JSON.stringify(spec), "spec.json");
      } catch (error) {
        expect(error).toBeInstanceOf(SpecError);
        message = (error as Error).message;
      }
      expect(message, "the spec was accepted").not.toBe("");
      expect(message.startsWith("spec.json: ")).toBe(true);
      for (const text of mentions) expect(message).toContain(text);
    });
  }

  it("text that is not JSON, and JSON that is not an object", () => {
    expect(() => parseSweepSpec("{", "s.json")).toThrow(/^s\.json: not valid JSON/);
    expect(() => parseSweepSpec("[1]", "s.json")).toThrow("s.json: a sweep spec must be a JSON object, got an array");
  });

  it("every problem is listed, the first one on the first line", () => {
    const message = (() => {
      try {
        parseSweepSpec(JSON.stringify({ ...TRAIN, name: "A", retries: -1, extra: true }), "s.json");
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    const lines = message.split("\n");
    expect(lines[0]).toMatch(/^s\.json: field .*\(and 2 more\)$/);
    expect(lines).toHaveLength(3);
  });
});

describe("expandSpec", () => {
  it("a grid is the product of the axes in their order, the last changing fastest, each point's repeats together", () => {
    const spec = validateSweepSpec({ ...TRAIN, axes: { dim: { path: "model.dim", values: [8, 16] }, tied: { path: "model.tied", values: [true, false, "x"] } }, repeats: 2 }, "s");
    const jobs = expandSpec(spec);
    expect(jobs.map((j) => [j.id, j.point["dim"], j.point["tied"], j.repeat])).toEqual([
      ["j0000", 8, true, 0],
      ["j0001", 8, true, 1],
      ["j0002", 8, false, 0],
      ["j0003", 8, false, 1],
      ["j0004", 8, "x", 0],
      ["j0005", 8, "x", 1],
      ["j0006", 16, true, 0],
      ["j0007", 16, true, 1],
      ["j0008", 16, false, 0],
      ["j0009", 16, false, 1],
      ["j0010", 16, "x", 0],
      ["j0011", 16, "x", 1],
    ]);
    expect(jobs.every((j, i) => j.index === i && j.sweep === "grid" && JOB_ID.test(j.id))).toBe(true);
  });

  it("ranges: linear and log grids with their ends exact, rounded when asked", () => {
    const spec = validateSweepSpec(
      {
        ...TRAIN,
        axes: {
          lr: { path: "train.learningRate", range: { from: 0.001, to: 0.1, count: 3, scale: "log" } },
          dim: { path: "model.dim", range: { from: 8, to: 32, count: 4, integer: true } },
          wd: { path: "train.weightDecay", range: { from: 0, to: 0.3, count: 4 } },
        },
      },
      "s",
    );
    const values = (axis: string): unknown[] => [...new Set(expandSpec(spec).map((j) => j.point[axis]))];
    expect(values("lr")).toEqual([0.001, 0.01, 0.1]);
    expect(values("dim")).toEqual([8, 16, 24, 32]);
    expect(values("wd")).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it("a random search is seeded: the same seed gives the same jobs, another seed others, all inside the axes", () => {
    const random = (seed: number) =>
      validateSweepSpec(
        {
          ...TRAIN,
          search: { random: { count: 20, seed } },
          axes: {
            lr: { path: "train.learningRate", range: { from: 1e-4, to: 1e-1, scale: "log" } },
            layers: { path: "model.layers", range: { from: 1, to: 6, integer: true } },
            head: { path: "model.head", values: ["flatten", "mean"] },
          },
        },
        "s",
      );
    const a = expandSpec(random(7));
    expect(expandSpec(random(7))).toEqual(a);
    expect(expandSpec(random(8)).map((j) => j.point)).not.toEqual(a.map((j) => j.point));
    expect(a).toHaveLength(20);
    for (const { point } of a) {
      expect(point["lr"]).toBeGreaterThanOrEqual(1e-4);
      expect(point["lr"]).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(point["layers"])).toBe(true);
      expect(["flatten", "mean"]).toContain(point["head"]);
    }
    // A log-uniform draw puts about as many points in each decade: not all in the top one.
    expect(a.some((j) => (j.point["lr"] as number) < 1e-2)).toBe(true);
    // These exact values are what every machine draws (a queue worker re-expands the spec).
    expect(a[0]!.point).toEqual(expandSpec(random(7))[0]!.point);
  });
});
