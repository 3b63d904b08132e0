import { type DType, type HostTensor, type Program, Random, hostTensor, input, ops, param, softmax, trace } from "@unfold/core";
import { type ConformanceCase, customCase, seedOf } from "../case.js";
import { TOLERANCES, compilePoisoned, referenceRun, runAndCompare, runChecked } from "../check.js";
import { assertMatchesReference } from "../compare.js";
import { normals } from "../generate.js";

/**
 * Executables are reusable and stateless between runs: two runs with different feeds both give
 * their own answers (also when the first run's outputs are read only after the second run, and
 * when runs overlap), and recompiling a structurally identical program, or a program that
 * differs only in a constant or an output name, gives an executable for exactly that program.
 */

const [N, D, C] = [5, 4, 3];

function program(dtype: DType, scale = 2, output = "p"): Program {
  return trace({ x: input([N, D], dtype), W: param([D, C], dtype), b: param([C], dtype) }, ({ x, W, b }) => ({
    [output]: softmax(ops.add(ops.matmul(x, W), b), -1),
    s: ops.sum(ops.tanh(ops.mul(x, scale))),
  }));
}

function feeds(dtype: DType, seed: number): Record<string, HostTensor> {
  const rng = new Random(seed);
  return {
    x: hostTensor(normals(rng, N * D), [N, D], dtype),
    W: hostTensor(normals(rng, D * C), [D, C], dtype),
    b: hostTensor(normals(rng, C), [C], dtype),
  };
}

const feedSet = (dtype: DType, name: string, count: number): Record<string, HostTensor>[] =>
  Array.from({ length: count }, (_, i) => feeds(dtype, seedOf(`executables/${name}`, i)));

const runTwice = customCase(
  "executables",
  "one executable run twice with different feeds gives both answers (first outputs read last)",
  async (backend, dtype) => {
    const p = program(dtype);
    const [a, b] = feedSet(dtype, "twice", 2) as [Record<string, HostTensor>, Record<string, HostTensor>];
    const tolerance = TOLERANCES.operation[dtype];
    const executable = await compilePoisoned(backend, p);
    const first = await executable.run(a);
    const second = await executable.run(b);
    // Read the second run first: a backend that reuses output buffers across runs fails here or below.
    const read = async (outs: typeof first): Promise<Record<string, HostTensor>> =>
      Object.fromEntries(await Promise.all(Object.entries(outs).map(async ([k, t]) => [k, await t.read()] as const)));
    assertMatchesReference(await read(second), referenceRun(p, b), tolerance, "second run");
    assertMatchesReference(await read(first), referenceRun(p, a), tolerance, "first run, read after the second");
    for (const t of [...Object.values(first), ...Object.values(second)]) t.dispose();
    await runAndCompare(executable, a, referenceRun(p, a), tolerance, "third run, the first feeds again");
  },
  (dtype) => [program(dtype)],
);

const overlapping = customCase(
  "executables",
  "overlapping runs of one executable (not awaited in turn) each give their own answer",
  async (backend, dtype) => {
    const p = program(dtype);
    const sets = feedSet(dtype, "overlap", 4);
    const executable = await compilePoisoned(backend, p);
    const results = await Promise.all(sets.map((f) => runChecked(executable, f)));
    results.forEach((r, i) => assertMatchesReference(r, referenceRun(p, sets[i]!), TOLERANCES.operation[dtype], `run ${i} of ${sets.length}`));
  },
  (dtype) => [program(dtype)],
);

const recompile = customCase(
  "executables",
  "a structurally identical program, traced again, compiles to a working executable",
  async (backend, dtype) => {
    const [a, b] = feedSet(dtype, "recompile", 2) as [Record<string, HostTensor>, Record<string, HostTensor>];
    const tolerance = TOLERANCES.operation[dtype];
    const p1 = program(dtype);
    const e1 = await compilePoisoned(backend, p1);
    await runAndCompare(e1, a, referenceRun(p1, a), tolerance, "the first program");
    const p2 = program(dtype);
    const e2 = await compilePoisoned(backend, p2);
    await runAndCompare(e2, b, referenceRun(p2, b), tolerance, "the same program traced again");
    const e3 = await compilePoisoned(backend, p1);
    await runAndCompare(e3, b, referenceRun(p1, b), tolerance, "the first program object compiled again");
    await runAndCompare(e1, b, referenceRun(p1, b), tolerance, "the first executable after the recompiles");
  },
  (dtype) => [program(dtype)],
);

const nearDuplicates = customCase(
  "executables",
  "programs that differ only in a constant or an output name each compute their own",
  async (backend, dtype) => {
    const [f] = feedSet(dtype, "near", 1) as [Record<string, HostTensor>];
    const tolerance = TOLERANCES.operation[dtype];
    const variants = [program(dtype, 2), program(dtype, 3), program(dtype, 2, "q")];
    const executables = await Promise.all(variants.map((p) => compilePoisoned(backend, p)));
    for (const [i, p] of variants.entries()) {
      await runAndCompare(executables[i]!, f, referenceRun(p, f), tolerance, ["scale 2, output p", "scale 3, output p", "scale 2, output q"][i]!);
    }
  },
  (dtype) => [program(dtype, 2), program(dtype, 3), program(dtype, 2, "q")],
);

/** The `executables` group: the compile cache, and executables reused across runs. */
export function executableCases(): ConformanceCase[] {
  return [runTwice, overlapping, recompile, nearDuplicates];
}
