import { transform } from "sucrase";
import { describe, expect, test } from "vitest";
import { DEFAULT_ENERGY_SOURCE, type EnergyDiagnostic, compileEnergySource } from "../src/editor/index.js";

/** The source's lines joined: each test's source is written one line per entry, so line numbers read off the array. */
const lines = (...text: string[]): string => text.join("\n") + "\n";

/** The 1-based line and column of the first `needle` in `source` (after `after`, when given): where a diagnostic must point. */
function at(source: string, needle: string, after = ""): { line: number; column: number } {
  const offset = source.indexOf(needle, after ? source.indexOf(after) : 0);
  if (offset < 0) throw new Error(`'${needle}' is not in the test's source`);
  const before = source.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** The diagnostics of a source that must fail to compile. */
function diagnosticsOf(source: string, exampleShape?: number[]): readonly EnergyDiagnostic[] {
  const result = compileEnergySource(source, exampleShape ? { exampleShape } : {});
  if (result.ok) throw new Error("the source compiled, but it has a mistake");
  return result.diagnostics;
}

const HEADER = 'import { defineEnergy, ops, type Tensor } from "@unfold/core";';

describe("compileEnergySource: each mistake at its line and column in the user's source", () => {
  test("sucrase keeps every line on its line (the mapping of errors rests on it)", () => {
    const typed = lines(HEADER, "type Shape2 = [number, number];", "interface Opts {", "  scale: number;", "}", "const s: Shape2 = [2, 3];", "export const energy = (s as unknown) satisfies unknown;");
    for (const source of [DEFAULT_ENERGY_SOURCE, typed]) {
      const code = transform(source, { transforms: ["typescript", "imports"] }).code;
      expect(code.split("\n").length).toBe(source.split("\n").length);
    }
  });

  test("a syntax error on line 7, at the token sucrase stopped at", () => {
    const source = lines(
      HEADER,
      "",
      "export default defineEnergy({",
      '  name: "broken",',
      "  params: {},",
      "  terms: [",
      '    { name: "t" value: (x: Tensor) => ops.sum(ops.mul(x, x)) },',
      "  ],",
      "});",
    );
    const [d, ...rest] = diagnosticsOf(source);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ kind: "syntax", ...at(source, "value:") }); // the comma it lacks belongs before 'value'
    expect(d!.line).toBe(7);
    expect(d!.message).toBe('Unexpected token, expected ","');
  });

  test("an unknown import, at its specifier, naming it and the modules that can be imported; every one is reported", () => {
    const source = lines(HEADER, 'import { z } from "zod";', "// import { y } from 'commented-out';", 'const remote = import("https://example.com/energy.js");', "export default z;");
    const found = diagnosticsOf(source);
    expect(found).toEqual([
      { kind: "import", ...at(source, '"zod"'), message: "cannot import 'zod': an energy in the studio can import only '@unfold/core' and '@unfold/energies' (nothing is loaded from the network)" },
      { kind: "import", ...at(source, '"https:'), message: expect.stringContaining("cannot import 'https://example.com/energy.js'") as string },
    ]);
  });

  test("a module named only at run time is refused where it is required", () => {
    const source = lines(HEADER, 'const name = ["node", "fs"].join(":");', "const fs = require(name);", "export default fs;");
    expect(diagnosticsOf(source)).toEqual([{ kind: "import", ...at(source, "require(name)"), message: expect.stringContaining("cannot import 'node:fs'") as string }]);
  });

  test("defineEnergy misuse: Unfold's error at the defineEnergy call's line, its column past the erased types", () => {
    const source = lines(HEADER, "", "const width: number = 2;", "export const energy: unknown = defineEnergy({ name: \"empty\", params: { W: { shape: [width, width] } }, terms: [] });");
    expect(diagnosticsOf(source)).toEqual([{ kind: "unfold", ...at(source, "defineEnergy({"), message: "defineEnergy: energy 'empty' has no terms" }]);
    expect(at(source, "defineEnergy({")).toEqual({ line: 4, column: 32 });
  });

  test("a shape mismatch raised while tracing the energy, at the op in its term", () => {
    const source = lines(
      HEADER,
      "",
      "export default defineEnergy({",
      '  name: "mismatch",',
      "  params: { W: { shape: [3, 3] } },",
      "  terms: [",
      "    {",
      '      name: "quadratic",',
      "      value: (x: Tensor, p) => {",
      "        const y: Tensor = ops.matmul(x, p.W);",
      "        return ops.sum(ops.mul(y, x));",
      "      },",
      "    },",
      "  ],",
      "});",
    );
    expect(compileEnergySource(source).ok).toBe(true); // nothing is wrong until it is traced at a shape
    const [d, ...rest] = diagnosticsOf(source, [2, 4]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ kind: "unfold", ...at(source, "matmul") });
    expect(d!.line).toBe(10);
    expect(d!.message).toMatch(/^matmul: .*\[2, 4\].*\[3, 3\].*\(in term 'quadratic' of energy 'mismatch'\)$/);
  });

  test("the user's frame is found below Unfold's own frames even where stacks are kept short", () => {
    const source = lines(HEADER, "export default defineEnergy({", '  name: "deep",', "  params: {},", '  terms: [{ name: "t", value: (x: Tensor) => ops.sum(ops.matmul(x, x)) }],', "});");
    const limited = Error as { stackTraceLimit?: number };
    const before = limited.stackTraceLimit;
    limited.stackTraceLimit = 1; // the throw inside matmul's shape check keeps only itself
    try {
      expect(diagnosticsOf(source, [2, 3])[0]).toMatchObject({ kind: "unfold", ...at(source, "matmul") });
    } finally {
      limited.stackTraceLimit = before;
    }
  });

  test("a TypeError in a term, raised while tracing, at its line", () => {
    const source = lines(HEADER, "export default defineEnergy({", '  name: "typo",', "  params: {},", "  terms: [{ name: \"t\", value: (x: Tensor) => (ops as any).summ(x) }],", "});");
    expect(diagnosticsOf(source, [2, 2])).toEqual([{ kind: "runtime", ...at(source, "summ"), message: "TypeError: ops.summ is not a function" }]);
  });

  test("an error thrown at the top level, at its line", () => {
    const source = lines(HEADER, "const sizes: number[] = [];", "if (sizes.length === 0) throw new RangeError(\"no sizes\");");
    expect(diagnosticsOf(source)).toEqual([{ kind: "runtime", ...at(source, "new RangeError"), message: "RangeError: no sizes" }]);
  });

  test("a thrown value with no stack is reported on line 1, saying it has no line", () => {
    const source = lines(HEADER, 'throw "no energy today";');
    expect(diagnosticsOf(source)).toEqual([{ kind: "runtime", line: 1, column: 1, message: "threw 'no energy today' (raised outside this source's code, so no line of it can be marked)" }]);
  });

  test("a syntax error only the engine finds (a name declared twice) is a syntax diagnostic that says it has no line", () => {
    const source = lines(HEADER, "let a = 1;", "let a = 2;", "export default a;");
    const [d] = diagnosticsOf(source);
    expect(d).toMatchObject({ kind: "syntax", line: 1, column: 1 });
    expect(d!.message).toMatch(/^SyntaxError: .*'a'.* \(the JavaScript engine gives no line for this error\)$/);
  });

  test("a SyntaxError raised while running (not the engine refusing the code) is a runtime error at its line", () => {
    const source = lines(HEADER, "const settings: unknown = JSON.parse(\"{ not json\");", "export default settings;");
    const [d] = diagnosticsOf(source);
    expect(d).toMatchObject({ kind: "runtime", ...at(source, "parse") });
    expect(d!.message).toMatch(/^SyntaxError: /);
  });

  test("no energy exported: the diagnostic says what is exported instead, on the last line", () => {
    const source = lines(HEADER, "const energy = 1;", "export const other = energy;");
    expect(diagnosticsOf(source)).toEqual([
      { kind: "export", line: 3, column: 1, message: "the source must export its energy: 'export default defineEnergy(...)' or 'export const energy = ...' (it exports 'other')" },
    ]);
    expect(diagnosticsOf(lines(HEADER, "defineEnergy;"))[0]!.message).toMatch(/\(it exports nothing\)$/);
  });

  test("an export that is not an energy: at the export, saying what it is", () => {
    const source = lines(HEADER, "", "export default { name: 'almost', terms: 'none' };");
    const [d] = diagnosticsOf(source);
    expect(d).toMatchObject({ kind: "export", ...at(source, "export default") });
    expect(d!.message).toMatch(/^the default export is .*, not an energy made with defineEnergy$/);
    const named = lines(HEADER, "export const energy = 42;");
    expect(diagnosticsOf(named)).toEqual([{ kind: "export", ...at(named, "export const"), message: "the export 'energy' is 42, not an energy made with defineEnergy" }]);
  });

  test("the modules passed in are the ones the source gets", () => {
    const marker = { defineEnergy: () => ({ name: "stub", terms: [], params: {} }) };
    const result = compileEnergySource(lines('import { defineEnergy } from "@unfold/core";', "export default defineEnergy();"), { modules: { "@unfold/core": marker } });
    expect(result.ok && result.energy.name).toBe("stub");
  });
});
