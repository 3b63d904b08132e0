import { DTypeError, FeedError, UnfoldError, type Unfolding, defineUnfolding, hostTensor, runUnfolding } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { backend, bad, gd, goodParams, goodState, keep, quad } from "./fixtures.js";

const tied = () => defineUnfolding({ energy: quad, steps: [gd], layers: 1 });
const run = (options: Record<string, unknown>) => () => runUnfolding(tied(), backend, bad({ state: goodState(), params: goodParams(), ...options }));
const bound = { mode: "limit", bound: () => 0.1 };

/** runUnfolding: the state, the parameters, the backend and the options. */
export const runCases: BadInput[] = [
  { name: "no options", call: () => runUnfolding(tied(), backend, bad(undefined)), error: UnfoldError, op: "runUnfolding", mentions: ["options", "undefined"] },
  { name: "no state", call: run({ state: undefined }), error: FeedError, op: "runUnfolding", mentions: ["state", "undefined"] },
  {
    name: "a state given as a plain array",
    call: run({ state: [1, 2, 3, 4, 5, 6] }),
    error: FeedError,
    op: "runUnfolding",
    mentions: ["state", "plain array", "hostTensor(data, shape)"],
  },
  {
    name: "Infinity in the initial state",
    call: run({ state: hostTensor([0, 0, 0, Infinity, 0, 0], [3, 2]) }),
    error: FeedError,
    op: "runUnfolding",
    mentions: ["state", "Infinity", "element [1, 1]"],
  },
  {
    name: "a state whose dtype disagrees with its data",
    call: run({ state: { shape: [3, 2], dtype: "float32", data: new Float64Array(6) } }),
    error: DTypeError,
    op: "runUnfolding",
    mentions: ["state", "float32", "Float64Array"],
  },
  { name: "no parameters", call: run({ params: undefined }), error: FeedError, op: "runUnfolding", mentions: ["params", "one parameter set", "undefined"] },
  {
    name: "a missing parameter",
    call: run({ params: { A: goodParams()["A"] } }),
    error: FeedError,
    op: "params",
    mentions: ["missing parameter 'B'", "[3, 2]", "energy 'quad'"],
  },
  {
    name: "a parameter given as a plain array",
    call: run({ params: { ...goodParams(), B: [1, 2, 3, 4, 5, 6] } }),
    error: FeedError,
    op: "params",
    mentions: ["parameter 'B'", "plain array", "hostTensor(data, shape)"],
  },
  {
    name: "-Infinity in a parameter",
    call: run({ params: { ...goodParams(), B: hostTensor([1, 2, 3, 4, -Infinity, 6], [3, 2]) } }),
    error: FeedError,
    op: "params",
    mentions: ["parameter 'B'", "-Infinity", "element [2, 0]"],
  },
  {
    name: "parameters of another dtype than the state",
    call: run({ state: hostTensor(new Float32Array(6), [3, 2]) }),
    error: DTypeError,
    op: "params",
    mentions: ["parameter 'A'", "float64", "float32"],
  },
  {
    name: "a step-size bound with an unknown mode",
    call: run({ stepSizeBound: { ...bound, mode: "clip" } }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["stepSizeBound.mode", "'clip'", "'check'", "'limit'"],
  },
  {
    name: "a step-size bound for a step the unfolding lacks",
    call: run({ stepSizeBound: { ...bound, steps: ["gd", "nope"] } }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["stepSizeBound.steps", "'nope'", "gd"],
  },
  {
    name: "a step-size bound without a bound function",
    call: run({ stepSizeBound: { mode: "check", bound: 0.5 } }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["stepSizeBound.bound", "0.5"],
  },
  { name: "an onLayer that is not a function", call: run({ onLayer: true }), error: UnfoldError, op: "runUnfolding", mentions: ["onLayer", "true"] },
  { name: "a misspelt option", call: run({ onLayers: () => undefined }), error: UnfoldError, op: "runUnfolding", mentions: ["'onLayers'", "onLayer"] },
  { name: "an onLayerState that is not a function", call: run({ onLayerState: "draw" }), error: UnfoldError, op: "runUnfolding", mentions: ["onLayerState", "'draw'"] },
  { name: "an onStep that is not a function", call: run({ onStep: 1 }), error: UnfoldError, op: "runUnfolding", mentions: ["onStep", "1"] },
  {
    name: "no backend",
    call: () => runUnfolding(tied(), bad(undefined), { state: goodState(), params: goodParams() }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["backend", "undefined"],
  },
  {
    name: "an unfolding config not passed through defineUnfolding",
    call: () => runUnfolding(bad<Unfolding>({ energy: quad, steps: [gd, keep], layers: 1 }), backend, { state: goodState(), params: goodParams() }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["defineUnfolding"],
  },
  {
    name: "untied weights given one parameter set",
    call: () => runUnfolding(defineUnfolding({ energy: quad, steps: [gd], layers: 2, tiedWeights: false }), backend, { state: goodState(), params: goodParams() }),
    error: UnfoldError,
    op: "runUnfolding",
    mentions: ["untied", "(2)", "one set"],
  },
];
