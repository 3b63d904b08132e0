import { type Energy, UnfoldError, closedFormStep, defineEnergy, gradientStep, ops, projectionStep, proximalStep, stepProgram } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { bad, quad } from "./fixtures.js";

/** 1/2 ||x - T||^2 + ||x||_1 on a state [3, 2], its l1 term declaring its prox (a soft threshold). */
const sparse = defineEnergy({
  name: "sparse",
  params: { T: { shape: [3, 2] } },
  terms: [
    { name: "fit", value: (x, p) => ops.mul(ops.sum(ops.mul(ops.sub(x, p.T), ops.sub(x, p.T))), 0.5) },
    { name: "sparsity", value: (x) => ops.sum(ops.abs(x)), prox: (v, _p, t) => ops.mul(ops.sign(v), ops.relu(ops.sub(ops.abs(v), t))) },
  ],
});

/** sparse with a second l1 term that declares a prox: two non-smooth terms. */
const twoProx = defineEnergy({ name: "two-prox", params: sparse.params, terms: [...sparse.terms, { ...sparse.terms[1]!, name: "sparsity2" }] });

const gradient = (options: Record<string, unknown>) => () => gradientStep(quad, bad({ stepSize: 0.1, ...options }));

/** The step constructors and their options. */
export const stepCases: BadInput[] = [
  {
    name: "a NaN step size",
    call: gradient({ stepSize: NaN }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["stepSize", "NaN"],
  },
  {
    name: "a negative step size",
    call: gradient({ stepSize: -0.1 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["stepSize", "-0.1"],
  },
  {
    name: "a step size given as a string",
    call: gradient({ stepSize: "0.1" }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["stepSize", "'0.1'"],
  },
  {
    name: "no step size",
    call: gradient({ stepSize: undefined }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["stepSize", "undefined"],
  },
  {
    name: "an empty list of terms",
    call: gradient({ terms: [] }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["terms", "at least one"],
  },
  {
    name: "a term listed twice",
    call: gradient({ terms: ["linear", "linear"] }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["terms", "'linear'", "twice"],
  },
  {
    name: "an unknown term",
    call: gradient({ terms: ["quadratc"] }),
    error: UnfoldError,
    op: "energy",
    mentions: ["energy 'quad'", "'quadratc'", "quadratic, linear"],
  },
  {
    name: "an unknown 'through'",
    call: gradient({ through: "activations" }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["through", "'activations'", "'state'", "'activation'"],
  },
  {
    name: "through the activation of an energy that has none",
    call: gradient({ through: "activation" }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["energy 'quad'", "no activation"],
  },
  {
    name: "a misspelt option",
    call: gradient({ step: 0.2 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["'step'", "stepSize"],
  },
  {
    name: "an empty step name",
    call: gradient({ name: "" }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["name", "''"],
  },
  {
    name: "a preconditioner that is not a function",
    call: gradient({ preconditioner: 2 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["preconditioner", "2"],
  },
  {
    name: "gradientStep without options",
    call: () => gradientStep(quad, bad(undefined)),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["options", "undefined"],
  },
  {
    name: "gradientStep of something that is not an energy",
    call: () => gradientStep(bad<Energy>({ name: "quad" }), { stepSize: 0.1 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["energy", "defineEnergy"],
  },
  {
    name: "proximalStep without a prox",
    call: () => proximalStep(quad, bad({ stepSize: 0.1 })),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm", "prox", "function", "undefined"],
  },
  {
    name: "proximalStep with both a proxTerm and a prox function",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "sparsity", prox: (v) => v }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'sparsity'", "prox", "exclusive"],
  },
  {
    name: "proximalStep with a proxTerm and a proxName",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "sparsity", proxName: "shrink" }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'sparsity'", "proxName", "exclusive"],
  },
  {
    name: "a proxTerm that declares no prox",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "fit", terms: [] }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'fit'", "term 'fit'", "energy 'sparse'", "declares no prox", "'sparsity'"],
  },
  {
    name: "a proxTerm that declares no prox, the terms left to their default",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "fit" }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'fit'", "energy 'sparse'", "declares no prox", "terms that declare a prox: 'sparsity'"],
  },
  {
    name: "a proxTerm the energy does not have",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "sparsty", terms: ["fit"] }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'sparsty'", "energy 'sparse'", "no term", "fit, sparsity"],
  },
  {
    name: "a misspelt proxTerm, the terms left to their default",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "Sparsity" }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'Sparsity'", "energy 'sparse'", "no term", "fit, sparsity"],
  },
  {
    name: "a proxTerm of an energy with no prox term at all",
    call: () => proximalStep(quad, { stepSize: 0.1, proxTerm: "linear" }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'linear'", "energy 'quad'", "declares no prox", "none of its terms declares a prox"],
  },
  {
    name: "a proxTerm naming one of two prox terms, the other left to the default terms",
    call: () => proximalStep(twoProx, { stepSize: 0.1, proxTerm: "sparsity" }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["term 'sparsity2'", "energy 'two-prox'", "one prox", "proxTerm 'sparsity'", "terms: ['fit', 'sparsity2']", "joint prox"],
  },
  {
    name: "a misspelt proxTerm on an energy with two prox terms, the terms given",
    call: () => proximalStep(twoProx, { stepSize: 0.1, proxTerm: "l1", terms: ["fit"] }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm 'l1'", "energy 'two-prox'", "no term", "fit, sparsity, sparsity2", "'sparsity', 'sparsity2'"],
  },
  {
    name: "a proxTerm that is not a string",
    call: () => proximalStep(sparse, bad({ stepSize: 0.1, proxTerm: 3 })),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["proxTerm", "3"],
  },
  {
    name: "terms that list the proxTerm as well",
    call: () => proximalStep(sparse, { stepSize: 0.1, proxTerm: "sparsity", terms: ["fit", "sparsity"] }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["terms", "'sparsity'", "proxTerm", "smooth"],
  },
  {
    name: "a gradient step over the default terms, one of which declares a prox",
    call: () => gradientStep(sparse, { stepSize: 0.1 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["term 'sparsity'", "energy 'sparse'", "declares a prox", "proxTerm: 'sparsity'"],
  },
  {
    name: "a prox-function step over the default terms, one of which declares a prox",
    call: () => proximalStep(sparse, { stepSize: 0.1, prox: (v) => ops.relu(v) }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["term 'sparsity'", "declares a prox", "list the terms"],
  },
  {
    name: "a proxTerm of an energy with an activation",
    call: () => {
      const activated = defineEnergy({ name: "act", params: {}, activation: (x) => ops.tanh(x), terms: sparse.terms.slice(1) });
      return proximalStep(activated, { stepSize: 0.1, proxTerm: "sparsity" });
    },
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["energy 'act'", "activation", "term 'sparsity'"],
  },
  {
    name: "a term's prox that returns something other than a Tensor",
    call: () => {
      const broken = defineEnergy({ name: "broken", params: {}, terms: [{ name: "l1", value: (x) => ops.sum(ops.abs(x)), prox: () => bad([0]) }] });
      return stepProgram(broken, proximalStep(broken, { stepSize: 0.1, proxTerm: "l1" }), [3, 2], "float64");
    },
    error: UnfoldError,
    op: "step",
    mentions: ["the prox of term 'l1'", "energy 'broken'", "an array of 1 element", "not a Tensor"],
  },
  {
    name: "proximalStep with an infinite step size",
    call: () => proximalStep(quad, { stepSize: Infinity, prox: (y) => y }),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["stepSize", "Infinity"],
  },
  {
    name: "closedFormStep with a term that is not a string",
    call: () => closedFormStep(quad, bad(0)),
    error: UnfoldError,
    op: "closedFormStep",
    mentions: ["term", "0"],
  },
  {
    name: "closedFormStep with a zero step size",
    call: () => closedFormStep(quad, "linear", { stepSize: 0 }),
    error: UnfoldError,
    op: "closedFormStep",
    mentions: ["stepSize", "0"],
  },
  {
    name: "projectionStep with an empty name",
    call: () => projectionStep("", (y) => y),
    error: UnfoldError,
    op: "projectionStep",
    mentions: ["name", "''"],
  },
  {
    name: "projectionStep without a projection",
    call: () => projectionStep("unit", bad(undefined)),
    error: UnfoldError,
    op: "projectionStep",
    mentions: ["'unit'", "function", "undefined"],
  },
];
