import { describe, expect, test } from "vitest";
import { DEFAULT_ENERGY_SOURCE } from "../src/editor/index.js";
import { loadTypeChecker } from "../src/editor/type-files.js";

const lines = (...text: string[]): string => text.join("\n") + "\n";

/** The 1-based line and column of the first `needle` in `source`. */
function at(source: string, needle: string): { line: number; column: number } {
  const offset = source.indexOf(needle);
  if (offset < 0) throw new Error(`'${needle}' is not in the test's source`);
  const before = source.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

describe("type checking an energy's source with TypeScript, in the page's way (files bundled, nothing read from disk)", () => {
  test("the default energy has no type errors", async () => {
    const check = await loadTypeChecker();
    const t0 = performance.now();
    expect(check(DEFAULT_ENERGY_SOURCE)).toEqual([]);
    console.log(`type check of the default energy: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  test("a misspelt parameter is a type error at its line and column, naming the declared ones", async () => {
    const check = await loadTypeChecker();
    const source = DEFAULT_ENERGY_SOURCE.replace("ops.swapLastAxes(p.X)", "ops.swapLastAxes(p.Xx)");
    const t0 = performance.now();
    const found = check(source);
    console.log(`type check after an edit: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(at(source, "Xx").line).toBe(21);
    expect(found).toEqual([{ kind: "type", ...at(source, "Xx"), message: expect.stringContaining("Property 'Xx' does not exist on type 'Params<\"X\">'") as string }]);
  });

  test("a wrong argument type and a name that does not exist, each at its place", async () => {
    const check = await loadTypeChecker();
    const source = lines('import { ops, type Tensor } from "@unfold/core";', "export function f(x: Tensor): Tensor {", '  return ops.mul(x, "two");', "}", "export const g = missingName;");
    const found = check(source);
    expect(found.map(({ line, column, kind }) => ({ line, column, kind }))).toEqual([
      { ...at(source, '"two"'), kind: "type" },
      { ...at(source, "missingName"), kind: "type" },
    ]);
    expect(found[0]!.message).toMatch(/^Argument of type 'string' is not assignable to parameter of type/);
    expect(found[1]!.message).toBe("Cannot find name 'missingName'.");
  });

  test("as strict as the repository's own code: an untyped parameter is an error", async () => {
    const check = await loadTypeChecker();
    const source = lines("export function scale(x) {", "  return x;", "}");
    expect(check(source)).toEqual([{ kind: "type", ...at(source, "x)"), message: "Parameter 'x' implicitly has an 'any' type." }]);
  });
});
