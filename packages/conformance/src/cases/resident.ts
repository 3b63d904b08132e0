import {
  type Backend,
  type DType,
  type DeviceTensor,
  type HostTensor,
  type Program,
  Random,
  crossEntropy,
  formatShape,
  gradients,
  hostTensor,
  input,
  interpret,
  ops,
  param,
  relativeError,
  softmax,
  trace,
} from "@unfold/core";
import { type ConformanceCase, customCase, seedOf } from "../case.js";
import { TOLERANCES, compilePoisoned, referenceRun, runAndCompare, runChecked } from "../check.js";
import { ConformanceError, assertMatchesReference, referenceValues } from "../compare.js";
import { normals } from "../generate.js";

/**
 * Resident tensors: parameters uploaded once, an update program run 20 times with its output
 * fed straight back as a DeviceTensor (never read in between), mixed host and device feeds,
 * one executable's output feeding another, and device feeds that must survive the run.
 */

const [N, D, C] = [12, 5, 4];
const LEARNING_RATE = 0.5;
const STEPS = 20;

/** W <- W - lr grad CE(X W, T): softmax regression, one step. */
function updateProgram(dtype: DType): Program {
  return trace({ W: param([D, C], dtype), X: input([N, D], dtype), T: input([N, C], dtype) }, ({ W, X, T }) => {
    const loss = crossEntropy(ops.matmul(X, W), T);
    const [g] = gradients(loss, [W]);
    return { next: ops.sub(W, ops.mul(g!, LEARNING_RATE)), loss };
  });
}

interface RegressionData {
  readonly W: HostTensor;
  readonly X: HostTensor;
  readonly T: HostTensor;
}

function regressionData(dtype: DType, seed: number): RegressionData {
  const rng = new Random(seed);
  const T = new Float64Array(N * C);
  for (let i = 0; i < N; i++) T[i * C + rng.int(0, C - 1)] = 1;
  return {
    W: hostTensor(normals(rng, D * C, 0.5), [D, C], dtype),
    X: hostTensor(normals(rng, N * D), [N, D], dtype),
    T: hostTensor(T, [N, C], dtype),
  };
}

const round = (dtype: DType, data: Float64Array): Float64Array => (dtype === "float32" ? data.map(Math.fround) : data);

/** The same loop on the interpreter, holding W in the dtype between steps as a device would. */
function referenceLoop(program: Program, data: RegressionData, dtype: DType, steps: number): Float64Array {
  let W: Float64Array = Float64Array.from(data.W.data);
  const X = Float64Array.from(data.X.data);
  const T = Float64Array.from(data.T.data);
  for (let s = 0; s < steps; s++) W = round(dtype, interpret(program, new Map([["W", W], ["X", X], ["T", T]])).get("next")!);
  return W;
}

function checkDeviceTensor(what: string, t: DeviceTensor, backend: Backend, shape: readonly number[], dtype: DType): void {
  if (t.backend !== backend.name) throw new ConformanceError(`${what}: lives on backend '${t.backend}', not '${backend.name}'`);
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ConformanceError(`${what}: is ${t.dtype}${formatShape(t.shape)}, expected ${dtype}${formatShape(shape)}`);
  }
  if (t.disposed) throw new ConformanceError(`${what}: reports disposed before anyone disposed it`);
}

/** Reads a device tensor and requires its values to equal `expected` exactly. */
async function expectExact(what: string, t: DeviceTensor, expected: HostTensor): Promise<void> {
  const got = await t.read();
  const same = got.dtype === expected.dtype && got.data.length === expected.data.length && got.data.every((v, i) => Object.is(v, expected.data[i]));
  if (!same) throw new ConformanceError(`${what}: read back ${got.dtype}[${Array.from(got.data.slice(0, 6)).join(", ")}...], expected ${expected.dtype}[${Array.from(expected.data.slice(0, 6)).join(", ")}...]`);
}

const roundTrip = customCase(
  "resident",
  "upload then read returns the data exactly; uploads and reads are copies",
  async (backend, dtype) => {
    const rng = new Random(seedOf("resident/roundtrip", 0));
    const host = hostTensor(normals(rng, 24), [2, 3, 4], dtype);
    const original = hostTensor(host.data.slice(), host.shape, dtype);
    const t = await backend.upload(host);
    checkDeviceTensor("an uploaded tensor", t, backend, [2, 3, 4], dtype);
    host.data.fill(7);
    await expectExact("an uploaded tensor after its host array was overwritten", t, original);
    const first = await t.read();
    first.data.fill(-7);
    await expectExact("an uploaded tensor after a read copy was overwritten", t, original);
    const scalar = await backend.upload(hostTensor([-2.5], [], dtype));
    await expectExact("an uploaded scalar", scalar, hostTensor([-2.5], [], dtype));
    t.dispose();
    scalar.dispose();
    if (!t.disposed) throw new ConformanceError("a disposed tensor does not report disposed");
  },
  () => [],
);

const residentLoop = customCase(
  "resident",
  `an update program run ${STEPS} times, its output fed back as a DeviceTensor, read once at the end`,
  async (backend, dtype) => {
    const program = updateProgram(dtype);
    const data = regressionData(dtype, seedOf("resident/loop", 0));
    const executable = await compilePoisoned(backend, program);
    const X = await backend.upload(data.X);
    const T = await backend.upload(data.T);
    let W = await backend.upload(data.W);
    const stale: DeviceTensor[] = [];
    for (let s = 0; s < STEPS; s++) {
      const outs = await executable.run({ W, X, T });
      const next = outs["next"];
      const loss = outs["loss"];
      if (!next || !loss) throw new ConformanceError(`step ${s}: run returned outputs [${Object.keys(outs).join(", ")}], expected next and loss`);
      checkDeviceTensor(`step ${s}: output 'next'`, next, backend, [D, C], dtype);
      loss.dispose();
      W.dispose();
      stale.push(W, loss);
      W = next;
    }
    const final = await W.read();
    const want = referenceLoop(program, data, dtype, STEPS);
    const tolerance = TOLERANCES.program[dtype];
    assertMatchesReference({ W: final }, { W: { shape: [D, C], dtype, data: want } }, tolerance, `after ${STEPS} resident steps`);
    // The case is only meaningful if the loop moves W well away from where it started.
    if (!(relativeError(want, Float64Array.from(data.W.data)) > 1e-2)) throw new ConformanceError("case bug: the reference loop barely moved W");
    if (stale.some((t) => !t.disposed)) throw new ConformanceError("a disposed DeviceTensor reports disposed = false");
    // The runs must not have written into their inputs.
    await expectExact("the resident input X after the loop", X, data.X);
    await expectExact("the resident input T after the loop", T, data.T);
    for (const t of [W, X, T]) t.dispose();
  },
  (dtype) => [updateProgram(dtype)],
);

const mixedFeeds = customCase(
  "resident",
  "runs with mixed host and device feeds",
  async (backend, dtype) => {
    const program = updateProgram(dtype);
    const data = regressionData(dtype, seedOf("resident/mixed", 0));
    const expected = referenceRun(program, { W: data.W, X: data.X, T: data.T });
    const executable = await compilePoisoned(backend, program);
    const dev = { W: await backend.upload(data.W), X: await backend.upload(data.X), T: await backend.upload(data.T) };
    const tolerance = TOLERANCES.operation[dtype];
    await runAndCompare(executable, { W: dev.W, X: data.X, T: dev.T }, expected, tolerance, "W and T on the device, X from the host");
    await runAndCompare(executable, { W: data.W, X: dev.X, T: data.T }, expected, tolerance, "X on the device, W and T from the host");
    await runAndCompare(executable, dev, expected, tolerance, "every feed on the device");
    for (const t of Object.values(dev)) t.dispose();
  },
  (dtype) => [updateProgram(dtype)],
);

function chainPrograms(dtype: DType): [Program, Program] {
  const first = trace({ X: input([6, 5], dtype), W: param([5, 4], dtype) }, ({ X, W }) => ({ h: ops.tanh(ops.matmul(X, W)) }));
  const second = trace({ h: input([6, 4], dtype), V: param([4, 3], dtype) }, ({ h, V }) => ({ p: softmax(ops.matmul(h, V), -1) }));
  return [first, second];
}

const chained = customCase(
  "resident",
  "one executable's output fed to another without reading it",
  async (backend, dtype) => {
    const [first, second] = chainPrograms(dtype);
    const rng = new Random(seedOf("resident/chain", 0));
    const X = hostTensor(normals(rng, 30), [6, 5], dtype);
    const W = hostTensor(normals(rng, 20), [5, 4], dtype);
    const V = hostTensor(normals(rng, 12), [4, 3], dtype);
    const h = interpret(first, new Map([["X", Float64Array.from(X.data)], ["W", Float64Array.from(W.data)]])).get("h")!;
    const expected = referenceValues(second, interpret(second, new Map([["h", round(dtype, h)], ["V", Float64Array.from(V.data)]])));
    const [e1, e2] = await Promise.all([compilePoisoned(backend, first), compilePoisoned(backend, second)]);
    const hidden = (await e1.run({ X, W }))["h"]!;
    await runAndCompare(e2, { h: hidden, V }, expected, TOLERANCES.operation[dtype], "softmax(h V) on a resident h = tanh(X W)");
    hidden.dispose();
  },
  (dtype) => chainPrograms(dtype),
);

function passThroughProgram(dtype: DType): Program {
  return trace({ x: input([3, 4], dtype) }, ({ x }) => ({ x, y: ops.mul(x, 2) }));
}

const passThroughFeed = customCase(
  "resident",
  "a device feed returned as an output is not disposed with that output",
  async (backend, dtype) => {
    const program = passThroughProgram(dtype);
    const host = hostTensor(normals(new Random(seedOf("resident/passthrough", 0)), 12), [3, 4], dtype);
    const expected = referenceRun(program, { x: host });
    const executable = await compilePoisoned(backend, program);
    const x = await backend.upload(host);
    // Every output is disposed once read, including the one that is x.
    await runAndCompare(executable, { x }, expected, TOLERANCES.operation[dtype], "first run");
    if (x.disposed) throw new ConformanceError("disposing the output 'x' disposed the DeviceTensor fed as 'x': outputs must not alias feeds");
    await expectExact("the feed x after its pass-through output was disposed", x, host);
    const again = await runChecked(executable, { x });
    assertMatchesReference(again, expected, TOLERANCES.operation[dtype], "second run on the same device feed");
    x.dispose();
  },
  (dtype) => [passThroughProgram(dtype)],
);

/** The `resident` group: uploaded tensors and outputs fed back run after run. */
export function residentCases(): ConformanceCase[] {
  return [roundTrip, residentLoop, mixedFeeds, chained, passThroughFeed];
}
