import { describe, expect, it } from "vitest";
import { fixed, formatAlignedTable, formatTable, integerFlag, integerListFlag, listFlag, parse, positiveFlag, scientific } from "../src/index.js";

describe("flags", () => {
  it("parse values and name the flag in every error", () => {
    expect(integerFlag("layers", "12", 3)).toBe(12);
    expect(integerFlag("layers", undefined, 3)).toBe(3);
    for (const bad of ["0", "1.5", "", " ", "x"]) expect(() => integerFlag("layers", bad, 3)).toThrow(`--layers must be an integer >= 1, got '${bad}'`);
    expect(positiveFlag("fit-max", "0.1", 1)).toBe(0.1);
    expect(() => positiveFlag("fit-max", "-1", 1)).toThrow("--fit-max must be a positive number, got '-1'");
    expect(integerListFlag("d-model", "16, 64", [8])).toEqual([16, 64]);
    expect(() => integerListFlag("d-model", "16,x", [8])).toThrow(/--d-model must be an integer >= 1, got 'x'/);
    expect(listFlag("size", "medium,small,small", ["small", "medium"] as const)).toEqual(["small", "medium"]);
    expect(() => listFlag("size", "large", ["small", "medium"] as const)).toThrow("--size: unknown value 'large'; valid values: small, medium");
    expect(() => parse(["--bogus"], { json: { type: "boolean" } })).toThrow(/bogus/);
  });
});

describe("tables", () => {
  it("right-align numbers (integers without decimals) and left-align text", () => {
    expect(formatTable(["name", "n", "x"], [["a", 3, 0.5], ["bb", 12, 2e-5]]).split("\n")).toEqual([
      "name   n         x",
      "----  --  --------",
      "a      3  0.500000",
      "bb    12  2.000e-5",
    ]);
    expect(formatAlignedTable(["k", "v"], [["a", "1.00"], ["bbb", "10.00"]], [false, true]).split("\n")).toEqual(["k        v", "---  -----", "a     1.00", "bbb  10.00"]);
    expect([fixed(null, 2), fixed(0.004, 2), fixed(3.14159, 2), scientific(0), scientific(1234)]).toEqual(["-", "4.0e-3", "3.14", "0", "1.2e+3"]);
  });
});

describe("parse errors", () => {
  const options = { lr: { type: "string" as const }, json: { type: "boolean" as const } };
  it("are one line naming the flag and saying what to do", () => {
    expect(() => parse(["--lr", "-1"], options)).toThrow("--lr: the value '-1' starts with a dash; write --lr=-1");
    expect(() => parse(["--lr"], options)).toThrow("--lr needs a value");
    expect(() => parse(["--json=yes"], options)).toThrow("--json is a switch and takes no value");
    expect(() => parse(["--bogus"], options)).toThrow("unknown flag --bogus; valid flags: --lr, --json");
    expect(() => parse(["model.onnx"], options)).toThrow("unexpected argument 'model.onnx': this command takes only --flags (see --help)");
    expect(parse(["--lr=-1"], options)).toEqual({ lr: "-1" });
  });

  it("refuse a flag given twice instead of keeping the last value", () => {
    expect(() => parse(["--lr", "1", "--lr", "2"], options)).toThrow("--lr is given more than once; give it once");
    expect(() => parse(["--json", "--json"], options)).toThrow("--json is given more than once");
  });
});
