// The energy suite can fail: a backend with one kernel wrong, an element left unwritten, an entry
// whose step raises its energy, and exporters that fix the batch axis, compute wrongly or refuse
// are each caught, with a message naming the entry. No failing suite is registered: the checks
// are run directly.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type DType, type HostTensor, type Program, ReferenceBackend, ShapeError, defineEnergy, defineUnfolding, gradientStep, hostTensor, interpret, ops, stepProgram } from "@unfold/core";
import { ZOO, type ZooEntry } from "@unfold/energies/zoo";
import { describe, expect, it } from "vitest";
import { ConformanceError } from "../src/index.js";
import {
  type ExportTarget,
  batchedState,
  checkZooAgreement,
  checkZooExport,
  checkZooGuard,
  exampleOf,
  ENERGY_CHECKS,
  exportBatches,
  programParams,
  runEnergySuite,
} from "../src/energies/index.js";
import { TestBackend } from "./test-backend.js";

const entryNamed = (name: string): ZooEntry => {
  const entry = ZOO.find((e) => e.name === name);
  if (!entry) throw new Error(`no zoo entry named '${name}'`);
  return entry;
};

/** An op every step of the entry computes through, to break: matmul where there is one. */
function opToBreak(entry: ZooEntry): string {
  const { unfolding, shape } = exampleOf(entry, "float32");
  const counts = new Map<string, number>();
  for (const step of unfolding.steps) {
    for (const node of stepProgram(unfolding.energy, step, shape, "float32").nodes) counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
  }
  if (counts.has("matmul")) return "matmul";
  for (const leaf of ["input", "param", "constant"]) counts.delete(leaf);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

async function rejection(action: () => Promise<unknown>): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("resolved; expected a rejection");
}

describe("the zoo's examples", () => {
  it.each(ZOO.map((e) => [e.name, e] as const))("%s: the float32 example is the float64 example rounded, with a leading batch axis", (_, entry) => {
    const wide = exampleOf(entry, "float64");
    const narrow = exampleOf(entry, "float32");
    const rounded = (t: HostTensor): number[] => Array.from(t.data, Math.fround);
    expect(narrow.shape).toEqual(wide.shape);
    expect(Array.from(narrow.state.data)).toEqual(rounded(wide.state));
    const [p32, p64] = [programParams(narrow), programParams(wide)];
    expect(Object.keys(p32).sort()).toEqual(Object.keys(p64).sort());
    for (const name of Object.keys(p64)) expect(Array.from(p32[name]!.data), name).toEqual(rounded(p64[name]!));
    // The same schedule; a step size an entry derives from its parameters may differ by their rounding.
    expect(narrow.unfolding.steps.map((s) => s.name)).toEqual(wide.unfolding.steps.map((s) => s.name));
    expect(narrow.unfolding.layers).toBe(wide.unfolding.layers);
    for (let layer = 0; layer < wide.unfolding.layers; layer++) {
      wide.unfolding.steps.forEach((step, i) => {
        const [a, b] = [narrow.unfolding.stepSize(i, layer), wide.unfolding.stepSize(i, layer)];
        expect(Math.abs(a - b), `step '${step.name}', layer ${layer}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-6 * Math.abs(b));
      });
    }
  });

  it("are rejected, naming the entry, when the state has no batch axis or the wrong dtype", () => {
    const base = entryNamed("yang");
    const scalar: ZooEntry = { ...base, name: "scalar-state", example: (dtype) => ({ ...base.example(dtype), state: hostTensor([1], [], dtype) }) };
    expect(() => exampleOf(scalar, "float32")).toThrow(ConformanceError);
    expect(() => exampleOf(scalar, "float32")).toThrow(/zoo entry 'scalar-state': the example state must have a leading batch axis, got shape \[\]/);
    const wrong: ZooEntry = { ...base, name: "always-float64", example: () => base.example("float64") };
    expect(() => exampleOf(wrong, "float32")).toThrow(/zoo entry 'always-float64': example\('float32'\) gave a float64 state/);
  });

  it("grow to another batch size with rows that differ from every traced row", () => {
    const state = hostTensor([1, 2, 3, 4, 5, 6], [2, 1, 3], "float32");
    const grown = batchedState(state, 5);
    expect(grown.shape).toEqual([5, 1, 3]);
    expect(grown.dtype).toBe("float32");
    expect(Array.from(grown.data)).toEqual([1, 2, 3, 4, 5, 6, 3, 2, 1, 6, 5, 4, 3, 2, 1]);
    expect(exportBatches(3)).toEqual([3, 7]);
  });
});

describe("a backend that computes one op wrongly fails the agreement check", () => {
  it.each(ZOO.map((e) => [e.name, e] as const))("%s", async (name, entry) => {
    // The honest float32 emulation passes: the check fails the fault, not float32 itself.
    const honest = await checkZooAgreement(entry, new TestBackend(), "float32");
    expect(honest.comparisons.every((c) => c.error <= 1e-4)).toBe(true);
    const op = opToBreak(entry);
    const error = await rejection(() => checkZooAgreement(entry, new TestBackend({ faults: { perturbOp: op as never } }), "float32"));
    expect(error).toBeInstanceOf(ConformanceError);
    expect(error.message).toContain(`zoo entry '${name}' on backend 'test' (float32)`);
    // The fault shows in the final state or in the energies by layer (a prox that zeroes the
    // perturbed entries can leave the state itself within tolerance).
    expect(error.message).toMatch(/output '(state|energy by layer)': relative error .* exceeds 1\.0e-4/);
  });

  it("in float64 too, where a 1e-3 fault is a billion times the bound", async () => {
    const error = await rejection(() => checkZooAgreement(entryNamed("yang"), new TestBackend({ faults: { perturbOneElement: "matmul" } }), "float64"));
    expect(error.message).toMatch(/zoo entry 'yang' on backend 'test' \(float64\): \d+ of \d+ outputs disagree/);
  });
});

describe("the suite compiles poisoned, so an element left unwritten is caught", () => {
  it("every compile asks for poison, and an unwritten element of a matmul shows as NaN", async () => {
    const entry = entryNamed("energy-transformer");
    const honest = new TestBackend();
    await checkZooAgreement(entry, honest, "float32");
    await checkZooGuard(entry, honest, "float32", "total");
    expect(honest.compileOptions.length).toBeGreaterThan(0);
    expect(honest.compileOptions.every((o) => o?.poison === true)).toBe(true);
    const error = await rejection(() => checkZooAgreement(entry, new TestBackend({ faults: { unwrittenElement: "matmul" } }), "float32"));
    expect(error.message).toMatch(/NaN at element/);
  });
});

/** E = 1/2 ||x||^2 with a gradient step of size 3: x <- -2x, so every step quadruples the energy. */
const overshooting: ZooEntry = {
  name: "overshooting",
  reference: "none: a step too large for its energy",
  guarantee: "none: a gradient step of size 3 on a quadratic of curvature 1 raises it fourfold",
  example(dtype: DType) {
    const energy = defineEnergy({ name: "half-norm", params: {}, terms: [{ name: "half", value: (x) => ops.mul(ops.sum(ops.mul(x, x)), 0.5) }] });
    const unfolding = defineUnfolding({ energy, steps: [gradientStep(energy, { stepSize: 3, name: "overshoot" })], layers: 2 });
    return { unfolding, state: hostTensor([1, -2, 0.5, 3, 0.25, -1], [2, 3], dtype), params: {} };
  },
};

describe("an entry whose step raises its energy fails the guard check", () => {
  it.each(["terms", "total"] as const)("watching the %s", async (watch) => {
    // Its run agrees with the reference: the guard check is what catches it.
    await checkZooAgreement(overshooting, new TestBackend(), "float32");
    const error = await rejection(() => checkZooGuard(overshooting, new TestBackend(), "float32", watch));
    expect(error).toBeInstanceOf(ConformanceError);
    expect(error.message).toContain(`zoo entry 'overshooting' on backend 'test' (float32): the guard (mode 'throw', watch '${watch}') stopped the run`);
    expect(error.message).toMatch(/layer 1, step 'overshoot': .* rose from 7\.65\d* to 30\.6\d* at step size 3/);
  });
});

/**
 * Exporters that interpret the traced program instead of writing a file: `fixedBatch` refuses
 * any other batch size (as a runtime does a model whose batch axis stayed fixed), `perturb` adds
 * an error to every output.
 */
function interpretingTarget(options: { readonly perturb?: number; readonly refuse?: Error }): ExportTarget {
  const models = new Map<Uint8Array, { program: Program; baked: Readonly<Record<string, HostTensor>> }>();
  return {
    name: "an interpreting exporter",
    export(program, { params = {} }) {
      if (options.refuse) throw options.refuse;
      const bytes = new Uint8Array(1);
      models.set(bytes, { program, baked: params });
      const inputs = new Map(program.feeds.filter((f) => !(f.name in params)).map((f) => [f.name, f.name]));
      return { bytes, inputs, outputs: new Map(program.outputs.map((o) => [o.name, `${o.name}.out`])) };
    },
    async run(bytes, feeds) {
      const { program, baked } = models.get(bytes)!;
      const traced = program.feeds.find((f) => f.name === "state")!.shape[0];
      const got = feeds["state"]!.shape[0];
      if (got !== traced) throw new Error(`Got invalid dimensions for input: state for the following indices index: 0 Got: ${got} Expected: ${traced}`);
      const values = interpret(program, new Map(Object.entries({ ...baked, ...feeds }).map(([k, t]) => [k, Float64Array.from(t.data)])));
      return Object.fromEntries(
        program.outputs.map((o) => [`${o.name}.out`, hostTensor(values.get(o.name)!.map((v) => v * (1 + (options.perturb ?? 0))), program.nodes[o.id]!.shape, "float32")]),
      );
    },
  };
}

describe("the export check", () => {
  const entry = entryNamed("yang");
  const traced = exampleOf(entry, "float32").shape[0]!;
  const other = exportBatches(traced)[1]!;

  it("fails a model whose batch axis stayed fixed, naming the entry and the batch size it was run at", async () => {
    for (const bakeParams of [true, false]) {
      const error = await rejection(() => checkZooExport(entry, interpretingTarget({}), { bakeParams }));
      expect(error).toBeInstanceOf(ConformanceError);
      expect(error.message).toContain(`zoo entry 'yang', exported by an interpreting exporter with a symbolic batch axis 'batch' and parameters ${bakeParams ? "baked in" : "as graph inputs"}`);
      expect(error.message).toContain(`run at batch ${other} (state [${other}, `);
      expect(error.message).toMatch(/the runtime rejected it: Got invalid dimensions/);
    }
  });

  it("fails a model that computes wrongly, at the traced batch size already", async () => {
    const error = await rejection(() => checkZooExport(entry, interpretingTarget({ perturb: 1e-3 }), { bakeParams: true }));
    expect(error.message).toContain(`run at batch ${traced} `);
    // The fault shows in the final state or in the energies by layer (a prox that zeroes the
    // perturbed entries can leave the state itself within tolerance).
    expect(error.message).toMatch(/output '(state|energy by layer)': relative error .* exceeds 1\.0e-4/);
  });

  it("fails, naming the entry and the exporter's own message, when the export refuses", async () => {
    const refuse = new ShapeError("mul", "%3 [3, 6, 8] meets an operand of fixed leading size 3 on the batch axis");
    const error = await rejection(() => checkZooExport(entry, interpretingTarget({ refuse }), { bakeParams: false }));
    expect(error.message).toBe(
      "zoo entry 'yang', exported by an interpreting exporter with a symbolic batch axis 'batch' and parameters as graph inputs: " +
        "the export failed: ShapeError: mul: %3 [3, 6, 8] meets an operand of fixed leading size 3 on the batch axis",
    );
  });

  it("fails a model without the program's state output, or asking for an input the program does not have", async () => {
    const base = interpretingTarget({});
    const noState: ExportTarget = { ...base, export: (p, o) => ({ ...base.export(p, o), outputs: new Map() }) };
    await expect(checkZooExport(entry, noState, { bakeParams: true })).rejects.toThrow(/zoo entry 'yang', .*: the model has no output for the program's 'state'/);
    const extraInput: ExportTarget = { ...base, export: (p, o) => ({ ...base.export(p, o), inputs: new Map([["state", "state"], ["mask", "mask"]]) }) };
    await expect(checkZooExport(entry, extraInput, { bakeParams: true })).rejects.toThrow(/zoo entry 'yang', .*: the model asks for input 'mask', which is no feed of the program/);
  });
});

/** Every source file reachable from `entry` through relative imports. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(entry, "utf8");
  for (const m of text.matchAll(/from\s+"(\.[^"]+)"/g)) reachable(resolve(dirname(entry), m[1]!.replace(/\.js$/, ".ts")), seen);
  return seen;
}

describe("@unfold/conformance/energies/portable", () => {
  it("loads nothing that imports vitest (it runs in browsers)", () => {
    const files = [...reachable(join(dirname(fileURLToPath(import.meta.url)), "..", "src", "energies", "portable.ts"))];
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((f) => /from\s+"vitest"/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("runs every check of every entry and reports each, letting failures through as results", async () => {
    const seen: string[] = [];
    const entries = [entryNamed("yang"), overshooting];
    const results = await runEnergySuite(new ReferenceBackend(), { dtypes: ["float32"], entries, onResult: (r) => seen.push(`${r.entry}/${r.check}`) });
    expect(results.map((r) => `${r.entry}/${r.check}`)).toEqual(entries.flatMap((e) => ENERGY_CHECKS.map((c) => `${e.name}/${c.title}`)));
    expect(seen).toEqual(results.map((r) => `${r.entry}/${r.check}`));
    expect(results.filter((r) => r.entry === "yang").every((r) => r.ok)).toBe(true);
    // The overshooting entry agrees with the reference and fails both guard checks.
    expect(results.filter((r) => r.entry === "overshooting").map((r) => r.ok)).toEqual([true, false, false]);
    expect(results.find((r) => !r.ok)!.error).toMatch(/zoo entry 'overshooting' on backend 'reference' \(float32\): the guard/);
  });
});
