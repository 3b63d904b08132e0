// solveFixedPoint's bad inputs: each case makes one mistake and asserts that the call fails at
// once with an UnfoldError naming solveFixedPoint, the option (or parameter) and the value.
import { describe, expect, it } from "vitest";
import { type BadInput, tryBadInput } from "@unfold/testing/bad-input";
import { DTypeError, FeedError, UnfoldError, type Unfolding, defineUnfolding, hostTensor, solveFixedPoint } from "../../src/index.js";
import { backend, bad, gd, goodParams, goodState, keep, quad } from "../bad-input/fixtures.js";

const tied = () => defineUnfolding({ energy: quad, steps: [gd], layers: 1 });
const solve = (options: Record<string, unknown>) => () => solveFixedPoint(tied(), backend, bad({ state: goodState(), params: goodParams(), ...options }));
const op = "solveFixedPoint";

const cases: BadInput[] = [
  { name: "a map that is neither an unfolding nor a layer map", call: () => solveFixedPoint(bad<Unfolding>(42), backend, bad({})), error: UnfoldError, op, mentions: ["the map", "tied unfolding", "layer map", "42"] },
  {
    name: "an untied unfolding",
    call: () => solveFixedPoint(defineUnfolding({ energy: quad, steps: [gd], layers: 2, tiedWeights: false }), backend, bad({ state: goodState(), params: goodParams() })),
    error: UnfoldError,
    op,
    mentions: ["untied weights", "energy 'quad'", "tiedWeights: true"],
  },
  { name: "no backend", call: () => solveFixedPoint(tied(), bad(undefined), bad({ state: goodState(), params: goodParams() })), error: UnfoldError, op, mentions: ["backend", "undefined"] },
  { name: "no options", call: () => solveFixedPoint(tied(), backend, bad(undefined)), error: UnfoldError, op, mentions: ["options", "undefined"] },
  { name: "a state given as a plain array", call: solve({ state: [1, 2, 3, 4, 5, 6] }), error: FeedError, op, mentions: ["options.state", "plain array"] },
  { name: "a misspelt option", call: solve({ tolerance: 1e-6 }), error: UnfoldError, op, mentions: ["unknown option 'tolerance'", "tol"] },
  { name: "an unknown solver", call: solve({ solver: "newton" }), error: UnfoldError, op, mentions: ["solver", "'iteration', 'anderson', 'line-search'", "'newton'"] },
  { name: "a tolerance of 0", call: solve({ tol: 0 }), error: UnfoldError, op, mentions: ["tol", "positive", "got 0"] },
  { name: "a NaN tolerance", call: solve({ tol: NaN }), error: UnfoldError, op, mentions: ["tol", "NaN"] },
  { name: "maxIterations 0", call: solve({ maxIterations: 0 }), error: UnfoldError, op, mentions: ["maxIterations", ">= 1", "got 0"] },
  { name: "a fractional maxIterations", call: solve({ maxIterations: 2.5 }), error: UnfoldError, op, mentions: ["maxIterations", "integer", "2.5"] },
  { name: "an unknown stopping rule", call: solve({ stopOn: "norm" }), error: UnfoldError, op, mentions: ["stopOn", "'residual', 'energy', 'both'", "'norm'"] },
  { name: "anderson options under plain iteration", call: solve({ anderson: { memory: 3 } }), error: UnfoldError, op, mentions: ["anderson options", "solver is 'iteration'", "solver: 'anderson'"] },
  { name: "lineSearch options under Anderson", call: solve({ solver: "anderson", lineSearch: {} }), error: UnfoldError, op, mentions: ["lineSearch options", "solver is 'anderson'", "solver: 'line-search'"] },
  { name: "a misspelt Anderson option", call: solve({ solver: "anderson", anderson: { window: 3 } }), error: UnfoldError, op, mentions: ["unknown option 'window'", "anderson", "memory"] },
  { name: "Anderson memory 0", call: solve({ solver: "anderson", anderson: { memory: 0 } }), error: UnfoldError, op, mentions: ["anderson.memory", ">= 1", "got 0"] },
  { name: "Anderson mixing 0", call: solve({ solver: "anderson", anderson: { mixing: 0 } }), error: UnfoldError, op, mentions: ["anderson.mixing", "(0, 1]", "got 0"] },
  { name: "Anderson mixing above 1", call: solve({ solver: "anderson", anderson: { mixing: 1.5 } }), error: UnfoldError, op, mentions: ["anderson.mixing", "(0, 1]", "1.5"] },
  { name: "a negative Anderson regularization", call: solve({ solver: "anderson", anderson: { regularization: -1 } }), error: UnfoldError, op, mentions: ["anderson.regularization", ">= 0", "-1"] },
  { name: "an Anderson safeguard given as a string", call: solve({ solver: "anderson", anderson: { safeguard: "yes" } }), error: UnfoldError, op, mentions: ["anderson.safeguard", "true or false", "'yes'"] },
  { name: "a line-search shrink of 1", call: solve({ solver: "line-search", lineSearch: { shrink: 1 } }), error: UnfoldError, op, mentions: ["lineSearch.shrink", "(0, 1)", "got 1"] },
  { name: "a line-search grow below 1", call: solve({ solver: "line-search", lineSearch: { grow: 0.5 } }), error: UnfoldError, op, mentions: ["lineSearch.grow", ">= 1", "0.5"] },
  { name: "a sufficient decrease of 0", call: solve({ solver: "line-search", lineSearch: { sufficientDecrease: 0 } }), error: UnfoldError, op, mentions: ["lineSearch.sufficientDecrease", "(0, 1)", "got 0"] },
  { name: "negative maxBacktracks", call: solve({ solver: "line-search", lineSearch: { maxBacktracks: -1 } }), error: UnfoldError, op, mentions: ["lineSearch.maxBacktracks", ">= 0", "-1"] },
  { name: "an initial step size of 0", call: solve({ solver: "line-search", lineSearch: { initialStepSize: 0 } }), error: UnfoldError, op, mentions: ["lineSearch.initialStepSize", "positive", "got 0"] },
  { name: "requireConvergence given as a string", call: solve({ requireConvergence: "yes" }), error: UnfoldError, op, mentions: ["requireConvergence", "true or false", "'yes'"] },
  { name: "onIteration that is not a function", call: solve({ onIteration: 3 }), error: UnfoldError, op, mentions: ["onIteration", "function", "3"] },
  { name: "onWarning that is not a function", call: solve({ onWarning: "log" }), error: UnfoldError, op, mentions: ["onWarning", "function", "'log'"] },
  { name: "a missing parameter", call: solve({ params: { A: goodParams()["A"] } }), error: FeedError, op, mentions: ["missing parameter 'B'", "[3, 2]", "energy 'quad'"] },
  {
    name: "float32 parameters for a float64 state",
    call: solve({ params: { A: hostTensor(goodParams()["A"]!.data, [3, 3], "float32"), B: hostTensor(goodParams()["B"]!.data, [3, 2], "float32") } }),
    error: DTypeError,
    op,
    mentions: ["parameter 'A'", "float32", "float64"],
  },
  {
    name: "a backoff guard under plain iteration",
    call: () => solveFixedPoint(defineUnfolding({ energy: quad, steps: [gd], layers: 1, guard: { mode: "backoff" } }), backend, bad({ state: goodState(), params: goodParams() })),
    error: UnfoldError,
    op,
    mentions: ["solver 'iteration'", "guard mode 'backoff'", "energy 'quad'", "'warn' or 'throw'", "solver 'line-search'"],
  },
  {
    name: "a backoff guard under Anderson",
    call: () => solveFixedPoint(defineUnfolding({ energy: quad, steps: [gd], layers: 1, guard: { mode: "backoff" } }), backend, bad({ state: goodState(), params: goodParams(), solver: "anderson" })),
    error: UnfoldError,
    op,
    mentions: ["solver 'anderson'", "guard mode 'backoff'"],
  },
  {
    name: "a line search over a projection",
    call: () => solveFixedPoint(defineUnfolding({ energy: quad, steps: [keep], layers: 1 }), backend, bad({ state: goodState(), params: goodParams(), solver: "line-search" })),
    error: UnfoldError,
    op,
    mentions: ["solver 'line-search'", "pure energy descent", "step 'keep' (projection)", "not a gradient step"],
  },
];

describe("solveFixedPoint: bad input", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const outcome = await tryBadInput(c);
    expect(outcome, outcome.kind === "unclear" ? outcome.detail : outcome.kind).toEqual({ kind: "clear" });
  });

  it("a backoff guard is taken by the line search, which backtracks on the energy itself", async () => {
    const unfolding = defineUnfolding({ energy: quad, steps: [gd], layers: 1, guard: { mode: "backoff" } });
    const result = await solveFixedPoint(unfolding, backend, { state: goodState(), params: goodParams(), solver: "line-search" });
    expect(result.converged).toBe(true);
  });
});
