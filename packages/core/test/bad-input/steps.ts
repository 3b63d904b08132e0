import { UnfoldError, closedFormStep, gradientStep, projectionStep, proximalStep } from "../../src/index.js";
import type { BadInput } from "./case.js";
import { bad, quad } from "./fixtures.js";

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
    call: () => gradientStep(bad({ name: "quad" }), { stepSize: 0.1 }),
    error: UnfoldError,
    op: "gradientStep",
    mentions: ["energy", "defineEnergy"],
  },
  {
    name: "proximalStep without a prox",
    call: () => proximalStep(quad, bad({ stepSize: 0.1 })),
    error: UnfoldError,
    op: "proximalStep",
    mentions: ["prox", "function", "undefined"],
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
