import {
  type Energy,
  type HostTensor,
  type ParamValues,
  type Program,
  ReferenceBackend,
  type Step,
  defineEnergy,
  gradientStep,
  hostTensor,
  input,
  ops,
  param,
  projectionStep,
  trace,
} from "../../src/index.js";

/** Values the bad-input cases start from, each of them valid, so that each case has one mistake. */

/** E(X) = 1/2 <X, A X> - <B, X> on a state [3, 2]. */
export const quad: Energy = defineEnergy({
  name: "quad",
  params: { A: { shape: [3, 3], constraint: "symmetric" }, B: { shape: [3, 2] } },
  terms: [
    { name: "quadratic", value: (x, p) => ops.mul(ops.sum(ops.mul(x, ops.matmul(p["A"]!, x))), 0.5) },
    // Its closed-form step is its gradient step, x + alpha B.
    { name: "linear", value: (x, p) => ops.neg(ops.sum(ops.mul(x, p["B"]!))), closedForm: (x, p, alpha) => ops.add(x, ops.mul(p["B"]!, alpha)) },
  ],
});

export const goodParams = (): ParamValues => ({
  A: hostTensor([2, 1, 0, 1, 3, 1, 0, 1, 4], [3, 3]),
  B: hostTensor([1, 2, 3, 4, 5, 6], [3, 2]),
});

export const goodState = (): HostTensor => hostTensor([0.5, -1, 0, 2, 1, -0.5], [3, 2]);

export const gd: Step = gradientStep(quad, { stepSize: 0.1, name: "gd" });

export const backend = new ReferenceBackend();

/** x [2, 3] times w [3]: the program the feed cases run. */
export function feedProgram(dtype: "float32" | "float64" = "float64"): Program {
  return trace({ x: input([2, 3], dtype), w: param([3], dtype) }, ({ x, w }) => ({ y: ops.mul(x, w) }));
}

export const goodFeeds = (dtype: "float32" | "float64" = "float64"): { x: HostTensor; w: HostTensor } => ({
  x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3], dtype),
  w: hostTensor([1, 0.5, -1], [3], dtype),
});

/** Compiles the feed program on the reference backend and runs it with `feeds`. */
export async function runFeeds(feeds: unknown, dtype: "float32" | "float64" = "float64"): Promise<unknown> {
  const executable = await backend.compile(feedProgram(dtype));
  const outs = await executable.run(feeds as never);
  for (const t of Object.values(outs)) t.dispose();
  return outs;
}

/** An energy with one term, for cases that get a term wrong. */
export function oneTerm(value: Energy["terms"][number]["value"], params: Energy["params"] = { Xi: { shape: [3, 2] } }): Energy {
  return defineEnergy({ name: "toy", params, terms: [{ name: "pull", value }] });
}

/** Shorthand for a deliberately mistyped argument: the cases pass what TypeScript would refuse. */
export const bad = <T>(value: unknown): T => value as T;

/** A projection that keeps the state: a step for the cases whose mistake lies elsewhere. */
export const keep: Step = projectionStep("keep", (y) => y);
