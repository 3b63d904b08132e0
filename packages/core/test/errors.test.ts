import { describe, expect, it } from "vitest";
import {
  DTypeError,
  type Energy,
  FeedError,
  type Feeds,
  ReferenceBackend,
  ShapeError,
  UnfoldError,
  checkParams,
  closedFormStep,
  defineEnergy,
  defineUnfolding,
  differentiate,
  grad,
  gradientStep,
  gradients,
  hostTensor,
  input,
  logsumexp,
  ops,
  param,
  runToHost,
  runUnfolding,
  softmax,
  trace,
} from "../src/index.js";
import { findNonFinite } from "../src/backend/host-data.js";
import { thrown } from "./helpers.js";

type ErrorClass = abstract new (...args: never[]) => UnfoldError;


async function rejected(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection; the promise resolved");
}

/** The error is of `cls`, reports `op` as its operation, and its message contains every fragment. */
function expectError(error: unknown, cls: ErrorClass, op: string, ...fragments: string[]): void {
  expect(error).toBeInstanceOf(cls);
  const e = error as UnfoldError;
  expect(e.op).toBe(op);
  expect(e.message.startsWith(`${op}: `), e.message).toBe(true);
  for (const f of fragments) expect(e.message).toContain(f);
  expect(e.message).not.toContain("undefined");
}

describe("shape errors name the op, the shapes and the user's labels", () => {
  it("add with shapes that do not broadcast", () => {
    const e = thrown(() => trace({ x: input([2, 3]), y: input([4, 3]) }, ({ x, y }) => x.named("X").add(y.named("Y"))));
    expectError(e, ShapeError, "add", "'X' [2, 3]", "'Y' [4, 3]", "cannot broadcast");
  });

  it("add with an unlabelled intermediate value still gives its shape", () => {
    const e = thrown(() => trace({ x: input([2, 3]), y: input([4, 3]) }, ({ x, y }) => x.exp().mul(y.named("Y"))));
    expectError(e, ShapeError, "mul", "[2, 3]", "'Y' [4, 3]");
  });

  it("matmul with inner dimensions that differ", () => {
    const e = thrown(() => trace({ a: input([2, 3]), b: input([4, 5]) }, ({ a, b }) => a.named("Q").matmul(b.named("K"))));
    expectError(e, ShapeError, "matmul", "'Q' [2, 3]", "'K' [4, 5]", "3 vs 4");
  });

  it("matmul of a vector", () => {
    const e = thrown(() => trace({ a: input([3]), b: input([3, 2]) }, ({ a, b }) => a.named("v").matmul(b)));
    expectError(e, ShapeError, "matmul", "'v' [3]", "'b' [3, 2]", "rank >= 2");
  });

  it("matmul with batch axes that do not broadcast", () => {
    const e = thrown(() => trace({ a: input([2, 2, 3]), b: input([3, 3, 4]) }, ({ a, b }) => a.named("A").matmul(b.named("B"))));
    expectError(e, ShapeError, "matmul", "'A' [2]", "'B' [3]");
  });

  it("reshape to a different element count", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").reshape([4, 2])));
    expectError(e, ShapeError, "reshape", "'X' [2, 3]", "(6 elements)", "[4, 2]");
  });

  it("reshape with a -1 that cannot be inferred", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").reshape([-1, 4])));
    expectError(e, ShapeError, "reshape", "'X' [2, 3]", "[-1, 4]");
  });

  it("transpose with a repeated or missing axis", () => {
    const repeated = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").transpose([0, 0])));
    expectError(repeated, ShapeError, "transpose", "[0, 0]", "'X' [2, 3]", "not a permutation");
    const tooLong = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").transpose([0, 1, 2])));
    expectError(tooLong, ShapeError, "transpose", "[0, 1, 2]", "'X' [2, 3]");
    const vector = thrown(() => trace({ x: input([3]) }, ({ x }) => x.named("v").T));
    expectError(vector, ShapeError, "transpose", "'v' [3]", "rank >= 2");
  });

  it("an axis out of range for a composite names the value", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => softmax(x.named("scores"), 2)));
    expectError(e, ShapeError, "softmax", "axis 2", "'scores' [2, 3]");
    const neg = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => logsumexp(x.named("scores"), -3)));
    expectError(neg, ShapeError, "logsumexp", "axis -3", "'scores' [2, 3]");
  });

  it("an axis out of range for a reduction names the op, the axis and the rank", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.sum(5)));
    expectError(e, ShapeError, "sum", "axis 5", "rank 2");
    const repeated = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.mean([1, -1])));
    expectError(repeated, ShapeError, "mean", "repeated axis");
  });

  it("a slice that does not fit", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").slice([1, 1], [1, 3])));
    expectError(e, ShapeError, "slice", "begin [1, 1]", "size [1, 3]", "'X' [2, 3]");
  });

  it("a broadcast to an incompatible shape", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => x.named("X").broadcastTo([2, 4])));
    expectError(e, ShapeError, "broadcast", "'X' [2, 3]", "[2, 4]");
  });

  it("concat of pieces that do not line up", () => {
    const e = thrown(() => trace({ a: input([2, 3]), b: input([2, 4]) }, ({ a, b }) => ops.concat([a.named("A"), b.named("B")], 0)));
    expectError(e, ShapeError, "concat", "'B' [2, 4]", "'A' [2, 3]", "axis 0");
  });
});

describe("dtype errors", () => {
  it("mixing float32 and float64 in an elementwise op is a DTypeError naming both values", () => {
    const e = thrown(() => trace({ a: input([2], "float32"), b: input([2], "float64") }, ({ a, b }) => a.named("h").add(b.named("w"))));
    expectError(e, DTypeError, "add", "'h' is float32", "'w' is float64");
  });

  it("mixing dtypes in matmul is a DTypeError", () => {
    const e = thrown(() => trace({ a: input([2, 2], "float32"), b: input([2, 2]) }, ({ a, b }) => a.matmul(b)));
    expectError(e, DTypeError, "matmul", "float32", "float64");
  });

  it("an unknown dtype for a leaf", () => {
    const e = thrown(() => trace({ a: { shape: [2], dtype: "int8" as never } }, ({ a }) => a));
    expectError(e, DTypeError, "input", "int8", "'a'");
  });
});

describe("feed errors at run time (ReferenceBackend)", () => {
  const program = trace({ x: input([2, 3]), w: param([3, 2]) }, ({ x, w }) => x.matmul(w));
  const good = (): Record<string, ReturnType<typeof hostTensor>> => ({
    x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]),
    w: hostTensor([1, 0, 0, 1, 1, 1], [3, 2]),
  });
  const run = async (feeds: Feeds): Promise<unknown> => {
    const exe = await new ReferenceBackend().compile(program);
    return runToHost(exe, feeds);
  };

  it("accepts the right feeds", async () => {
    const out = await run(good());
    expect(Array.from((out as Record<string, { data: Float64Array }>)["out"]!.data)).toEqual([4, 5, 10, 11]);
  });

  it("an unknown feed name lists what the program takes", async () => {
    const e = await rejected(() => run({ ...good(), z: hostTensor([1], [1]) }));
    expectError(e, FeedError, "run", "unknown feed 'z'", "x, w");
  });

  it("a missing feed says what was expected", async () => {
    const { x } = good();
    const e = await rejected(() => run({ x }));
    expectError(e, FeedError, "run", "missing feed 'w'", "param float64[3, 2]");
  });

  it("a feed of the wrong shape", async () => {
    const e = await rejected(() => run({ ...good(), x: hostTensor([1, 2, 3, 4, 5, 6], [3, 2]) }));
    expectError(e, FeedError, "run", "feed 'x'", "[3, 2]", "expects [2, 3]");
  });

  it("a feed of the wrong dtype is a DTypeError", async () => {
    const e = await rejected(() => run({ ...good(), w: hostTensor([1, 0, 0, 1, 1, 1], [3, 2], "float32") }));
    expectError(e, DTypeError, "run", "feed 'w'", "float32", "expects float64");
  });

  it("a NaN in a feed names the feed and the element", async () => {
    const e = await rejected(() => run({ ...good(), x: hostTensor([1, 2, 3, 4, 5, NaN], [2, 3]) }));
    expectError(e, FeedError, "run", "feed 'x'", "NaN", "element [1, 2]");
  });

  it("finds the first NaN or infinity in float32, float64 and plain-array data alike", () => {
    for (const make of [(v: number[]) => Float32Array.from(v), (v: number[]) => Float64Array.from(v), (v: number[]) => v]) {
      expect(findNonFinite(make([0, 1, NaN, 3, NaN, 5]), [2, 3])).toEqual({ at: [0, 2], value: NaN });
      expect(findNonFinite(make([0, 1, 2, 3, 4, NaN]), [3, 2])).toEqual({ at: [2, 1], value: NaN });
      expect(findNonFinite(make([0, -1, 2, Infinity, NaN, 5]), [3, 2])).toEqual({ at: [1, 1], value: Infinity });
      expect(findNonFinite(make([-Infinity, 1]), [2])).toEqual({ at: [0], value: -Infinity });
      // -0, the largest and the smallest values are finite.
      const extremes = make([-0, 1, -1, 3.4e38, -3.4e38, 1e-45]);
      expect(findNonFinite(extremes, [6])).toBeUndefined();
    }
    expect(findNonFinite(Float64Array.of(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE), [3])).toBeUndefined();
  });

  it("a hand-built host tensor whose data does not fill its shape", async () => {
    const e = await rejected(() => run({ ...good(), x: { shape: [2, 3], dtype: "float64", data: new Float64Array(5) } }));
    expectError(e, FeedError, "run", "feed 'x'", "5 values", "[2, 3]");
  });

  it("a device tensor of another backend", async () => {
    const other = { backend: "webgpu", shape: [3, 2], dtype: "float64" as const, disposed: false, read: async () => good().w, dispose: () => {} };
    const e = await rejected(() => run({ x: good().x, w: other }));
    expectError(e, FeedError, "run", "feed 'w'", "'webgpu'", "'reference'");
  });

  it("hostTensor itself rejects data that does not fill the shape", () => {
    expectError(
      thrown(() => hostTensor([1, 2, 3], [2, 2])),
      ShapeError,
      "hostTensor",
      "3 values",
      "[2, 2]",
    );
  });
});

describe("index and autodiff errors", () => {
  const program = trace({ x: input([3, 2]), idx: input([2]) }, ({ x, idx }) => ops.gather(x, idx, 0));

  it("gather with an index out of range fails when run, naming the index and the range", async () => {
    const exe = await new ReferenceBackend().compile(program);
    const x = hostTensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const out = await runToHost(exe, { x, idx: hostTensor([2, 0], [2]) });
    expect(Array.from(out["out"]!.data)).toEqual([5, 6, 1, 2]);
    // A host index feed is checked before the run, for every backend alike.
    const e = await rejected(() => runToHost(exe, { x, idx: hostTensor([0, 3], [2]) }));
    expectError(e, FeedError, "run", "feed 'idx'", "holds 3 at element [1]", "gather along axis 0", "[0, 3)");
    const frac = await rejected(() => runToHost(exe, { x, idx: hostTensor([0.5, 1], [2]) }));
    expectError(frac, FeedError, "run", "feed 'idx'", "holds 0.5 at element [0]", "integer indices");
    // An index computed inside the program is caught where it is used.
    const shifted = await new ReferenceBackend().compile(trace({ x: input([3, 2]), idx: input([2]) }, ({ x, idx }) => ops.gather(x, ops.add(idx, 1), 0)));
    const computed = await rejected(() => runToHost(shifted, { x, idx: hostTensor([0, 2], [2]) }));
    expectError(computed, UnfoldError, "gather", "index 3", "position 1", "[0, 3)");
  });

  it("gradients of a non-scalar output", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => gradients(x.exp().named("Y"), [x])[0]!));
    expectError(e, ShapeError, "grad", "'Y' [2, 3]", "not a scalar");
  });

  it("grad of a function that returns a non-scalar", () => {
    const e = thrown(() => trace({ x: input([2, 3]) }, ({ x }) => grad((t) => t.mul(t).named("sq"))(x)));
    expectError(e, ShapeError, "grad", "'sq' [2, 3]", "scalar");
  });

  it("differentiate of a non-scalar output or an unknown output", () => {
    const p = trace({ x: input([2]), w: param([2]) }, ({ x, w }) => ({ y: x.mul(w), s: x.mul(w).sum() }));
    expectError(thrown(() => differentiate(p, { of: "y" })), ShapeError, "differentiate", "[2]", "scalar");
    expectError(thrown(() => differentiate(p, { of: "z" })), UnfoldError, "differentiate", "'z'", "y, s");
    expectError(thrown(() => differentiate(p, { of: "s", wrt: ["v"] })), UnfoldError, "differentiate", "'v'");
  });
});

const quadratic: Energy = defineEnergy({
  name: "quad",
  params: { A: { shape: [3, 3], constraint: "symmetric" }, B: { shape: [3, 2] } },
  terms: [
    { name: "quadratic", value: (x, p) => x.mul(p["A"]!.matmul(x)).sum().mul(0.5) },
    { name: "linear", value: (x, p) => x.mul(p["B"]!).sum().neg() },
  ],
});

const symmetric = (): number[] => [2, 1, 0, 1, 3, 1, 0, 1, 4];

describe("energy parameters", () => {
  const B = hostTensor([1, 2, 3, 4, 5, 6], [3, 2]);

  it("accepts valid parameters", () => {
    expect(() => checkParams(quadratic, { A: hostTensor(symmetric(), [3, 3]), B }, "float64")).not.toThrow();
  });

  it("a non-symmetric matrix for a 'symmetric' parameter names the parameter and the entry", () => {
    const a = symmetric();
    a[1 * 3 + 2] = 1.5; // A[1][2] = 1.5, A[2][1] = 1
    const e = thrown(() => checkParams(quadratic, { A: hostTensor(a, [3, 3]), B }, "float64"));
    expectError(e, UnfoldError, "params", "parameter 'A'", "symmetric", "entry (1, 2)", "(2, 1)");
  });

  it("names the matrix of a batch of 'symmetric' matrices", () => {
    const energy = defineEnergy({
      name: "heads",
      params: { W: { shape: [2, 2, 2], constraint: "symmetric" } },
      terms: [{ name: "t", value: (x) => x.sum() }],
    });
    const e = thrown(() => checkParams(energy, { W: hostTensor([1, 2, 2, 1, 1, 2, 3, 1], [2, 2, 2]) }, "float64"));
    expectError(e, UnfoldError, "params", "parameter 'W'", "(matrix 1)", "entry (0, 1)");
    const square = thrown(() =>
      checkParams(
        defineEnergy({ name: "e", params: { W: { shape: [2, 3], constraint: "symmetric" } }, terms: [{ name: "t", value: (x) => x.sum() }] }),
        { W: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]) },
        "float64",
      ),
    );
    expectError(square, UnfoldError, "params", "parameter 'W'", "square", "[2, 3]");
  });

  it("a NaN in a parameter is reported, not taken for a symmetric matrix", () => {
    const a = symmetric();
    a[1] = NaN;
    const e = thrown(() => checkParams(quadratic, { A: hostTensor(a, [3, 3]), B }, "float64"));
    expectError(e, FeedError, "params", "parameter 'A'", "NaN", "[0, 1]");
  });

  it("a parameter of the wrong shape names the parameter, the energy and both shapes", () => {
    const e = thrown(() => checkParams(quadratic, { A: hostTensor(symmetric(), [3, 3]), B: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]) }, "float64"));
    expectError(e, FeedError, "params", "parameter 'B'", "[2, 3]", "'quad'", "expects [3, 2]");
  });

  it("missing, unknown and wrongly typed parameters", () => {
    const A = hostTensor(symmetric(), [3, 3]);
    expectError(thrown(() => checkParams(quadratic, { A }, "float64")), FeedError, "params", "missing parameter 'B'", "[3, 2]");
    expectError(thrown(() => checkParams(quadratic, { A, B, C: B }, "float64")), FeedError, "params", "unknown parameter 'C'", "A, B");
    expectError(
      thrown(() => checkParams(quadratic, { A: hostTensor(symmetric(), [3, 3], "float32"), B }, "float64")),
      DTypeError,
      "params",
      "parameter 'A'",
      "float32",
    );
  });
});

describe("energy, step and unfolding definitions", () => {
  const gd = gradientStep(quadratic, { stepSize: 0.1, name: "gd" });

  it("defineUnfolding rejects zero or fractional layers", () => {
    expectError(thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 0 })), UnfoldError, "defineUnfolding", "layers", "got 0");
    expectError(thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 1.5 })), UnfoldError, "defineUnfolding", "got 1.5");
  });

  it("defineUnfolding rejects a per-layer step-size list of the wrong length", () => {
    const e = thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 3, stepSizes: { gd: [0.1, 0.2] } }));
    expectError(e, UnfoldError, "defineUnfolding", "stepSizes.gd", "2 sizes", "3 layers");
  });

  it("defineUnfolding rejects step sizes for an unknown step", () => {
    const e = thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 3, stepSizes: { descend: 0.1 } }));
    expectError(e, UnfoldError, "defineUnfolding", "stepSizes.descend", "names no step", "gd");
  });

  it("defineUnfolding rejects non-positive sizes, duplicate steps, no steps, a bad backoff factor and tolerance", () => {
    expectError(
      thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 2, stepSizes: { gd: [0.1, -1] } })),
      UnfoldError,
      "defineUnfolding",
      "stepSizes.gd[1]",
      "-1",
    );
    expectError(thrown(() => defineUnfolding({ energy: quadratic, steps: [gd, gd], layers: 2 })), UnfoldError, "defineUnfolding", "'gd'");
    expectError(thrown(() => defineUnfolding({ energy: quadratic, steps: [], layers: 2 })), UnfoldError, "defineUnfolding", "at least one step");
    expectError(
      thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 2, guard: { mode: "backoff", backoffFactor: 1 } })),
      UnfoldError,
      "defineUnfolding",
      "backoffFactor",
    );
    expectError(thrown(() => defineUnfolding({ energy: quadratic, steps: [gd], layers: 2, tolerance: -1 })), UnfoldError, "defineUnfolding", "tolerance");
  });

  it("closedFormStep on a term that declares none", () => {
    const e = thrown(() => closedFormStep(quadratic, "linear"));
    expectError(e, UnfoldError, "closedFormStep", "term 'linear'", "'quad'", "no closed-form step");
  });

  it("steps on unknown terms, with bad step sizes, or through a missing activation", () => {
    expectError(thrown(() => closedFormStep(quadratic, "entropy")), UnfoldError, "energy", "no term 'entropy'", "quadratic, linear");
    expectError(thrown(() => gradientStep(quadratic, { stepSize: 0.1, terms: ["nope"] })), UnfoldError, "energy", "'nope'");
    expectError(thrown(() => gradientStep(quadratic, { stepSize: 0 })), UnfoldError, "gradientStep", "stepSize", "got 0");
    // Stepping through an activation the energy lacks fails where the step is made.
    const e = thrown(() => gradientStep(quadratic, { stepSize: 0.1, through: "activation" }));
    expectError(e, UnfoldError, "gradientStep", "'quad'", "no activation");
  });

  it("defineEnergy rejects duplicate and missing terms", () => {
    const t = { name: "t", value: (x: Parameters<Energy["terms"][number]["value"]>[0]) => x.sum() };
    expectError(thrown(() => defineEnergy({ name: "e", params: {}, terms: [t, t] })), UnfoldError, "defineEnergy", "'e'", "two terms named 't'");
    expectError(thrown(() => defineEnergy({ name: "e", params: {}, terms: [] })), UnfoldError, "defineEnergy", "no terms");
  });

  it("runUnfolding checks parameter sets and the initial state before running", async () => {
    const backend = new ReferenceBackend();
    const params = { A: hostTensor(symmetric(), [3, 3]), B: hostTensor([1, 2, 3, 4, 5, 6], [3, 2]) };
    const state = hostTensor(new Float64Array(6), [3, 2]);
    const tied = defineUnfolding({ energy: quadratic, steps: [gd], layers: 2 });
    const untied = defineUnfolding({ energy: quadratic, steps: [gd], layers: 2, tiedWeights: false });
    expectError(await rejected(() => runUnfolding(tied, backend, { state, params: [params, params] })), UnfoldError, "runUnfolding", "tied");
    expectError(await rejected(() => runUnfolding(untied, backend, { state, params: [params] })), UnfoldError, "runUnfolding", "(2)", "1 sets");
    const bad = { ...params, A: hostTensor([2, 1, 0, 0, 3, 1, 0, 1, 4], [3, 3]) };
    expectError(await rejected(() => runUnfolding(untied, backend, { state, params: [params, bad] })), UnfoldError, "params[1]", "parameter 'A'", "entry (0, 1)");
    const nan = hostTensor([0, 0, 0, NaN, 0, 0], [3, 2]);
    expectError(await rejected(() => runUnfolding(tied, backend, { state: nan, params })), FeedError, "runUnfolding", "state", "NaN", "[1, 1]");
  });
});

describe("errors name the user's value", () => {
  it("an out-of-range or repeated reduction axis names the label and shape", () => {
    const e1 = thrown(() => trace({ Y: input([2, 3]) }, ({ Y }) => Y.sum(2)));
    expectError(e1, ShapeError, "sum", "axis 2 is out of range for rank 2", "'Y' [2, 3]");
    const e2 = thrown(() => trace({ Y: input([2, 3]) }, ({ Y }) => Y.max([0, -2])));
    expectError(e2, ShapeError, "max", "repeated axis", "'Y' [2, 3]");
  });

  it("a matmul dtype mismatch names both operands", () => {
    const e = thrown(() => trace({ A: input([2, 3], "float32"), B: input([3, 2]) }, ({ A, B }) => A.matmul(B)));
    expectError(e, DTypeError, "matmul", "'A' [2, 3] is float32", "'B' [3, 2] is float64");
  });

  it("scatterAdd takes a negative axis like gather", () => {
    const program = trace({ u: input([2, 3]) }, ({ u }, graph) => {
      const idx = graph.constant([1, 1, 0], [3], "float64");
      return ops.scatterAdd(u, idx, -1, 2);
    });
    const exe = new ReferenceBackend().compile(program);
    return exe.then(async (x) => {
      const out = await runToHost(x, { u: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]) });
      expect(Array.from(out["out"]!.data)).toEqual([3, 3, 6, 9]);
    });
  });
});
