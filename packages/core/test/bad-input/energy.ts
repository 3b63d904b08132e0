import {
  type EnergyDefinition,
  type Params,
  FeedError,
  ShapeError,
  UnfoldError,
  checkParams,
  defineEnergy,
  defineUnfolding,
  energyProgram,
  hostTensor,
  ops,
  proximalStep,
  projectionStep,
  runUnfolding,
  stepProgram,
  sumEnergies,
  termValues,
  trace,
  input,
  closedFormStep,
  gradientStep,
} from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { backend, bad, goodParams, oneTerm, quad } from "./fixtures.js";

const term = { name: "pull", value: (x: Parameters<typeof ops.sum>[0]) => ops.sum(x) };

/** E(x) = g/2 ||x||^2 + sum(G): a scalar gain and a matrix, both declared 'nonNegative'. */
const gained = defineEnergy({
  name: "gained",
  params: { g: { shape: [], constraint: "nonNegative" }, G: { shape: [2, 3], constraint: "nonNegative" } },
  terms: [{ name: "scaled", value: (x, p) => ops.add(ops.mul(ops.sum(ops.mul(x, x)), ops.mul(p.g, 0.5)), ops.sum(p.G)) }],
});

const energyWith = (fields: Record<string, unknown>) => () => defineEnergy(bad<EnergyDefinition<string>>({ name: "e", params: {}, terms: [term], ...fields }));

/** Defining an energy: its name, terms and parameter declarations. */
export const energyDefinitionCases: BadInput[] = [
  {
    name: "a term without a value function",
    call: energyWith({ terms: [{ name: "pull" }] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "term 'pull'", "value", "function", "undefined"],
  },
  {
    name: "a term with an empty name",
    call: energyWith({ terms: [term, { name: "", value: term.value }] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "terms[1].name", "''"],
  },
  {
    name: "a term with a misspelt field",
    call: energyWith({ terms: [{ name: "pull", value: term.value, closedFrom: term.value }] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["term 'pull'", "'closedFrom'", "closedForm"],
  },
  {
    name: "a prox that is not a function",
    call: energyWith({ terms: [{ ...term, prox: "softThreshold" }] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["the prox of term 'pull'", "energy 'e'", "'softThreshold'"],
  },
  {
    name: "a closedForm that is not a function",
    call: energyWith({ terms: [{ ...term, closedForm: 1 }] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["term 'pull'", "closedForm", "1"],
  },
  {
    name: "a parameter shape with a fractional dimension",
    call: energyWith({ params: { W: { shape: [2, 1.5] } } }),
    error: ShapeError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "parameter 'W'", "[2, 1.5]"],
  },
  {
    name: "a parameter shape that is a number",
    call: energyWith({ params: { W: { shape: 3 } } }),
    error: ShapeError,
    op: "defineEnergy",
    mentions: ["parameter 'W'", "shape", "3"],
  },
  {
    name: "an unknown parameter constraint",
    call: energyWith({ params: { W: { shape: [2, 2], constraint: "sym" } } }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["parameter 'W'", "constraint", "'sym'", "'symmetric'", "'nonNegative'"],
  },
  {
    name: "a misspelt field in a parameter declaration",
    call: energyWith({ params: { W: { shape: [2, 2], constrain: "symmetric" } } }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["parameter 'W'", "'constrain'"],
  },
  {
    name: "a misspelt field of the energy",
    call: energyWith({ activaton: (x: unknown) => x }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "'activaton'", "activation"],
  },
  {
    name: "an energy without a name",
    call: energyWith({ name: undefined }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["name", "undefined"],
  },
  {
    name: "terms that are not an array",
    call: energyWith({ terms: term }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "terms", "array"],
  },
  {
    name: "params that are not an object",
    call: energyWith({ params: ["W"] }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "params"],
  },
  {
    name: "an activation that is not a function",
    call: energyWith({ activation: "layerNorm" }),
    error: UnfoldError,
    op: "defineEnergy",
    mentions: ["energy 'e'", "activation", "'layerNorm'"],
  },
  {
    name: "sumEnergies of no energies",
    call: () => sumEnergies("none", []),
    error: UnfoldError,
    op: "sumEnergies",
    mentions: ["'none'", "at least one"],
  },
  {
    name: "sumEnergies of something that is not an energy",
    call: () => sumEnergies("mixed", [quad, bad(undefined)]),
    error: UnfoldError,
    op: "sumEnergies",
    mentions: ["parts[1]", "undefined"],
  },
];

/** What a term does when it is traced: the parameters it reads and the value it returns. */
export const termCases: BadInput[] = [
  {
    name: "a term that reads an undeclared parameter",
    call: () => energyProgram(oneTerm((x, p) => ops.sum(ops.sub(x, p["Xii"]!))), [3, 2], "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["term 'pull'", "energy 'toy'", "'Xii'", "Xi"],
  },
  {
    name: "a term that is not a scalar",
    call: () => energyProgram(oneTerm((x, p) => ops.sub(x, p["Xi"]!)), [3, 2], "float64"),
    error: ShapeError,
    op: "energy",
    mentions: ["term 'pull'", "energy 'toy'", "[3, 2]", "scalar"],
  },
  {
    name: "a term that returns a number",
    call: () => energyProgram(oneTerm(() => bad(0)), [3, 2], "float64"),
    error: UnfoldError,
    op: "energy",
    mentions: ["term 'pull'", "energy 'toy'", "returned 0", "not a Tensor"],
  },
  {
    name: "a term that returns nothing",
    call: () => energyProgram(oneTerm(() => bad(undefined)), [3, 2], "float64"),
    error: UnfoldError,
    op: "energy",
    mentions: ["term 'pull'", "energy 'toy'", "undefined"],
  },
  {
    name: "a term called through termValues without a declared parameter",
    call: () => trace({ x: input([3, 2]) }, ({ x }) => termValues(quad, x, {}, ["linear"])["linear"]!),
    error: UnfoldError,
    op: "params",
    mentions: ["term 'linear'", "energy 'quad'", "'B'", "not given"],
  },
  {
    name: "an activation that reads an undeclared parameter",
    call: () =>
      energyProgram(
        defineEnergy({ name: "act", params: {}, activation: (x, p: Params) => ops.mul(x, p["gain"]!), terms: [term] }),
        [3, 2],
        "float64",
      ),
    error: UnfoldError,
    op: "params",
    mentions: ["activation", "energy 'act'", "'gain'"],
  },
  {
    name: "an activation that returns something other than a Tensor",
    call: () => energyProgram(defineEnergy({ name: "act", params: {}, activation: () => bad([1]), terms: [term] }), [3, 2], "float64"),
    error: UnfoldError,
    op: "energy",
    mentions: ["activation", "energy 'act'", "array"],
  },
  {
    name: "a closed-form step that reads an undeclared parameter",
    call: () => {
      const energy = defineEnergy({ name: "cf", params: { W: { shape: [2, 2] } }, terms: [{ ...term, closedForm: (x, p: Params) => ops.matmul(x, p["Wz"]!) }] });
      return stepProgram(energy, closedFormStep(energy, "pull"), [3, 2], "float64");
    },
    error: UnfoldError,
    op: "params",
    mentions: ["closed-form step", "term 'pull'", "'Wz'", "W"],
  },
  {
    name: "a prox that reads an undeclared parameter",
    call: () => stepProgram(quad, proximalStep(quad, { stepSize: 0.1, name: "p", prox: (y, p) => ops.maximum(y, p["floor"]!) }), [3, 2], "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["step 'p'", "'floor'", "A, B"],
  },
  {
    name: "a projection that reads an undeclared parameter",
    call: () => stepProgram(quad, projectionStep("normalize", (y, p) => ops.div(y, p["scale"]!)), [3, 2], "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["step 'normalize'", "energy 'quad'", "'scale'"],
  },
  {
    name: "a state of the wrong shape names the term where it fails",
    call: () =>
      runUnfolding(defineUnfolding({ energy: quad, steps: [proximalStep(quad, { stepSize: 0.1, prox: (y) => y })], layers: 1 }), backend, {
        state: hostTensor([1, 2, 3, 4], [2, 2]),
        params: goodParams(),
      }),
    error: ShapeError,
    op: "matmul",
    mentions: ["[3, 3]", "[2, 2]", "term 'quadratic'", "energy 'quad'"],
  },
  {
    name: "checkParams without parameter values",
    call: () => checkParams(quad, bad(undefined), "float64"),
    error: FeedError,
    op: "params",
    mentions: ["energy 'quad'", "undefined"],
  },
  {
    name: "a parameter given as a plain array",
    call: () => checkParams(quad, { ...goodParams(), B: bad([1, 2, 3, 4, 5, 6]) }, "float64"),
    error: FeedError,
    op: "params",
    mentions: ["parameter 'B'", "plain array", "hostTensor(data, shape)"],
  },
  {
    name: "a parameter holding -Infinity",
    call: () => checkParams(quad, { ...goodParams(), B: hostTensor([1, 2, 3, 4, -Infinity, 6], [3, 2]) }, "float64"),
    error: FeedError,
    op: "params",
    mentions: ["parameter 'B'", "-Infinity", "element [2, 0]"],
  },
  {
    name: "a negative entry in a 'nonNegative' parameter names the first one by element and value",
    call: () => checkParams(gained, { g: hostTensor([0.5], []), G: hostTensor([1, 0, 2, -0.5, 3, -2], [2, 3]) }, "float64"),
    error: UnfoldError,
    op: "params",
    mentions: ["parameter 'G'", "[2, 3]", "non-negative", "-0.5", "element [1, 0]"],
  },
  {
    name: "a negative scalar 'nonNegative' parameter fed to runUnfolding",
    call: () =>
      runUnfolding(defineUnfolding({ energy: gained, steps: [gradientStep(gained, { stepSize: 0.1 })], layers: 1 }), backend, {
        state: hostTensor([1, 2, 3], [3]),
        params: { g: hostTensor([-1], []), G: hostTensor([1, 1, 1, 1, 1, 1], [2, 3]) },
      }),
    error: UnfoldError,
    op: "params",
    mentions: ["parameter 'g'", ">= 0", "-1"],
  },
];

