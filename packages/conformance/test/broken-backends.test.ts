// The suite can fail: backends broken in one way each (a wrong kernel, an unwritten element, stale
// or aliased buffers, missing feed checks, ...) are run through the cases that should catch them,
// and those cases must reject. No failing suite is registered: the cases are run directly.
import { type DType, computedOps } from "@unfold/core";
import { describe, expect, it } from "vitest";
import {
  type ConformanceCase,
  ConformanceError,
  assertCoverage,
  checkRejectsDType,
  conformanceCases,
  coveredOps,
  feedValidationCases,
  lifetimeCases,
  uncoveredOps,
} from "../src/index.js";
import { type Faults, TestBackend } from "./test-backend.js";

const cases = conformanceCases();
const byName = new Map(cases.map((c) => [c.name, c]));

function named(name: string): ConformanceCase {
  const c = byName.get(name);
  if (!c) throw new Error(`no conformance case named '${name}'`);
  return c;
}

/** The error a case rejects with on this backend, or undefined if it passes. */
async function failure(c: ConformanceCase, backend: TestBackend, dtype: DType): Promise<unknown> {
  try {
    await c.run(backend, dtype, backend.context());
    return undefined;
  } catch (error) {
    return error ?? new Error("rejected without a reason");
  }
}

describe("every computed primitive: a backend with that one kernel wrong fails that primitive's cases", () => {
  const primitives = coveredOps(cases, "primitives");
  for (const dtype of ["float64", "float32"] as const) {
    it.each(computedOps())(`${dtype}: %s`, async (op) => {
      const backend = new TestBackend({ faults: { perturbOp: op } });
      const names = primitives.get(op) ?? [];
      expect(names.length).toBeGreaterThan(0);
      const caught: string[] = [];
      for (const name of names) {
        const c = cases.find((k) => `${k.group}/${k.name}` === name)!;
        if ((c.requires ?? []).some((d) => !backend.dtypes.includes(d))) continue;
        const error = await failure(c, backend, dtype);
        if (error) {
          expect(error).toBeInstanceOf(ConformanceError);
          caught.push(name);
        }
      }
      // Every case dedicated to the primitive (named after it) caught it.
      const dedicated = names.filter((n) => n.split("/")[1]!.split(/[ (]/)[0] === op);
      expect(dedicated.length).toBeGreaterThan(0);
      expect(caught).toEqual(expect.arrayContaining(dedicated));
    });
  }
});

interface Scenario {
  readonly fault: Faults;
  readonly title: string;
  /** Cases that must each fail. */
  readonly caughtBy: readonly string[];
  readonly dtypes?: readonly DType[];
  /** What the failure message must say. */
  readonly message?: RegExp;
}

const FEED_CASES = feedValidationCases().map((c) => c.name);
const [AFTER_DISPOSE, OTHER_BACKENDS, DURING_DISPOSE] = lifetimeCases().map((c) => c.name) as [string, string, string];

const SCENARIOS: readonly Scenario[] = [
  {
    title: "one element of each matmul result off by 1%",
    fault: { perturbOneElement: "matmul" },
    caughtBy: ["matmul A @ B, broadcast batch axes", "matmul A @ B^T, broadcast batch axes", "softmax followed by matmul (attention, heads broadcast)"],
    message: /relative error/,
  },
  {
    title: "the last element of every exp left unwritten (NaN under poison)",
    fault: { unwrittenElement: "exp" },
    caughtBy: ["exp", "softmax (logits of scale 1 and 30)", "12-layer tied Yang et al. unfolding with energies (16 tokens x 8, batch 2)"],
    message: /NaN at element/,
  },
  {
    title: "the last element of every sum left unwritten",
    fault: { unwrittenElement: "sum" },
    caughtBy: ["sum over axes", "layerNorm with gain and bias", "differentiate: two-layer tanh MLP with cross-entropy and weight decay"],
    message: /NaN at element/,
  },
  {
    title: "float32 computed in bfloat16",
    fault: { bfloat16: true },
    dtypes: ["float32"],
    caughtBy: ["exp", "matmul past tile boundaries", "softmax (logits of scale 1 and 30)", "12-layer tied Yang et al. unfolding with energies (16 tokens x 8, batch 2)"],
    message: /relative error/,
  },
  {
    title: "an executable that keeps returning its first results",
    fault: { stale: true },
    caughtBy: [
      "one executable run twice with different feeds gives both answers (first outputs read last)",
      "overlapping runs of one executable (not awaited in turn) each give their own answer",
      "an update program run 20 times, its output fed back as a DeviceTensor, read once at the end",
    ],
  },
  {
    title: "output buffers reused by the next run",
    fault: { reuseOutputBuffers: true },
    caughtBy: ["one executable run twice with different feeds gives both answers (first outputs read last)"],
  },
  {
    title: "one DeviceTensor for outputs that are the same value",
    fault: { shareOutputTensors: true },
    caughtBy: ["the same value as two outputs"],
    message: /output 'second' is output 'first' too: every output must be its own DeviceTensor/,
  },
  {
    title: "a device-fed leaf returned as its own output",
    fault: { returnFeedTensors: true },
    caughtBy: ["a device feed returned as an output is not disposed with that output"],
    message: /output 'x' is the DeviceTensor fed as 'x'/,
  },
  { title: "no feed validation", fault: { skipFeedChecks: true }, caughtBy: FEED_CASES },
  {
    title: "upload keeps the caller's array",
    fault: { uploadWithoutCopy: true },
    dtypes: ["float64"],
    caughtBy: ["upload then read returns the data exactly; uploads and reads are copies"],
  },
  {
    title: "read hands out the backend's own array",
    fault: { readWithoutCopy: true },
    dtypes: ["float64"],
    caughtBy: ["upload then read returns the data exactly; uploads and reads are copies"],
  },
  {
    title: "runs that write into their device feeds",
    fault: { scribbleOnFeeds: true },
    caughtBy: ["an update program run 20 times, its output fed back as a DeviceTensor, read once at the end", "a device feed returned as an output is not disposed with that output"],
  },
  {
    title: "runs that use the caller's host arrays as scratch",
    fault: { scribbleOnHostFeeds: true },
    caughtBy: ["exp", "matmul A @ B, broadcast batch axes", "runs with mixed host and device feeds"],
    message: /wrote into the host array fed as/,
  },
  {
    title: "a disposed backend that silently restarts on compile and upload",
    fault: { reviveAfterDispose: true },
    caughtBy: [AFTER_DISPOSE, DURING_DISPOSE],
    message: /after dispose\(\): resolved; it must reject with a UnfoldError/,
  },
  {
    title: "tensors still readable after their backend's dispose",
    fault: { tensorsOutliveDispose: true },
    caughtBy: [AFTER_DISPOSE],
    message: /reading an output that was never read after dispose\(\): resolved/,
  },
  {
    title: "errors after dispose that name neither the backend nor the operation",
    fault: { vagueDisposeErrors: true },
    caughtBy: [AFTER_DISPOSE],
    message: /does not mention "test"/,
  },
  {
    title: "one backend's dispose reaching the others",
    fault: { disposeReachesOthers: true },
    caughtBy: [OTHER_BACKENDS],
    message: /after another backend's dispose\(\)/,
  },
  {
    title: "a compile cache keyed on the node count alone",
    fault: { cacheByNodeCount: true },
    caughtBy: ["programs that differ only in a constant or an output name each compute their own"],
  },
];

describe("broken backends fail the cases that target their fault", () => {
  for (const scenario of SCENARIOS) {
    for (const dtype of scenario.dtypes ?? (["float64", "float32"] as const)) {
      it(`${dtype}: ${scenario.title}`, async () => {
        const backend = new TestBackend({ faults: scenario.fault });
        for (const name of scenario.caughtBy) {
          const error = await failure(named(name), backend, dtype);
          expect(error, `case '${name}' should fail`).toBeDefined();
          if (scenario.message) expect(String((error as Error).message)).toMatch(scenario.message);
        }
      });
    }
  }

  it("the same cases pass on the backend without faults, so the failures above are the faults'", async () => {
    const backend = new TestBackend();
    const names = new Set(SCENARIOS.flatMap((s) => s.caughtBy));
    for (const dtype of ["float64", "float32"] as const) {
      for (const name of names) await expect(named(name).run(backend, dtype, backend.context())).resolves.toBeUndefined();
    }
  });

  it("every case compiles with poisoned buffers", async () => {
    const backend = new TestBackend();
    for (const c of cases) await c.run(backend, "float64", backend.context());
    expect(backend.compileOptions.length).toBeGreaterThan(cases.length);
    expect(backend.compileOptions.every((o) => o?.poison === true)).toBe(true);
  });
});

describe("dtypes a backend does not claim", () => {
  it("a float64-only backend that rejects float32 programs passes", async () => {
    await expect(checkRejectsDType(new TestBackend({ dtypes: ["float64"] }), "float32")).resolves.toBeUndefined();
  });

  it("a float64-only backend that compiles float32 programs anyway fails", async () => {
    const backend = new TestBackend({ dtypes: ["float64"], faults: { ignoreDTypes: true } });
    await expect(checkRejectsDType(backend, "float32")).rejects.toThrow(/compiling a float32 program .*: resolved; it must reject with a DTypeError/);
  });
});

describe("coverage", () => {
  it("the cases cover every computed primitive of core at the primitive level", () => {
    expect(uncoveredOps(cases)).toEqual([]);
    expect(() => assertCoverage(cases)).not.toThrow();
  });

  it("a primitive without its case is reported", () => {
    const withoutGather = cases.filter((c) => c.name !== "gather");
    expect(uncoveredOps(withoutGather)).toEqual(["gather"]);
    expect(() => assertCoverage(withoutGather)).toThrow(/no primitive-level conformance case exercises: gather/);
  });
});
