import { UnfoldError, type UnfoldingConfig, defineEnergy, defineUnfolding, gradientStep, ops } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { bad, gd, keep, quad } from "./fixtures.js";

const unfolding = (config: Record<string, unknown>) => () => defineUnfolding(bad<UnfoldingConfig>({ energy: quad, steps: [gd], layers: 2, ...config }));

const other = defineEnergy({ name: "other", params: {}, terms: [{ name: "spread", value: (x) => ops.sum(ops.mul(x, x)) }] });

/** defineUnfolding: layers, steps, step sizes, the guard and the tolerance. */
export const unfoldingCases: BadInput[] = [
  { name: "zero layers", call: unfolding({ layers: 0 }), error: UnfoldError, op: "defineUnfolding", mentions: ["layers", "0"] },
  { name: "fractional layers", call: unfolding({ layers: 1.5 }), error: UnfoldError, op: "defineUnfolding", mentions: ["layers", "1.5"] },
  { name: "layers given as a string", call: unfolding({ layers: "3" }), error: UnfoldError, op: "defineUnfolding", mentions: ["layers", "'3'"] },
  { name: "NaN layers", call: unfolding({ layers: NaN }), error: UnfoldError, op: "defineUnfolding", mentions: ["layers", "NaN"] },
  { name: "an empty steps list", call: unfolding({ steps: [] }), error: UnfoldError, op: "defineUnfolding", mentions: ["steps", "at least one"] },
  { name: "steps that are not an array", call: unfolding({ steps: gd }), error: UnfoldError, op: "defineUnfolding", mentions: ["steps", "array"] },
  {
    name: "a step that is not a step",
    call: unfolding({ steps: [gd, { name: "half" }] }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["steps[1]", "'half'", "apply"],
  },
  {
    name: "a step built for another energy",
    call: unfolding({ steps: [gradientStep(other, { stepSize: 0.1, name: "spread" })] }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["step 'spread'", "'spread'", "energy 'quad'"],
  },
  { name: "no energy", call: unfolding({ energy: undefined }), error: UnfoldError, op: "defineUnfolding", mentions: ["energy", "undefined"] },
  {
    name: "an unknown guard mode",
    call: unfolding({ guard: { mode: "warning" } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard.mode", "'warning'", "'off'", "'warn'", "'throw'", "'backoff'"],
  },
  { name: "a guard without a mode", call: unfolding({ guard: { watch: "total" } }), error: UnfoldError, op: "defineUnfolding", mentions: ["guard.mode", "undefined"] },
  { name: "a guard given as a string", call: unfolding({ guard: "throw" }), error: UnfoldError, op: "defineUnfolding", mentions: ["guard", "'throw'", "{ mode: 'throw' }"] },
  {
    name: "an unknown watch value",
    call: unfolding({ guard: { mode: "throw", watch: "all" } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard.watch", "'all'", "'terms'", "'total'"],
  },
  { name: "a negative slack", call: unfolding({ guard: { mode: "throw", slack: -1 } }), error: UnfoldError, op: "defineUnfolding", mentions: ["guard.slack", "-1"] },
  { name: "a NaN slack", call: unfolding({ guard: { mode: "throw", slack: NaN } }), error: UnfoldError, op: "defineUnfolding", mentions: ["guard.slack", "NaN"] },
  {
    name: "a fractional maxBackoffs",
    call: unfolding({ guard: { mode: "backoff", maxBackoffs: 2.5 } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard.maxBackoffs", "2.5"],
  },
  {
    name: "a negative maxBackoffs",
    call: unfolding({ guard: { mode: "backoff", maxBackoffs: -1 } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard.maxBackoffs", "-1"],
  },
  {
    name: "a backoff factor of 1",
    call: unfolding({ guard: { mode: "backoff", backoffFactor: 1 } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard.backoffFactor", "1"],
  },
  {
    name: "a misspelt guard option",
    call: unfolding({ guard: { mode: "throw", wacth: "total" } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["guard", "'wacth'", "watch"],
  },
  {
    name: "a misspelt unfolding option",
    call: unfolding({ tiedWeight: false }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["'tiedWeight'", "tiedWeights"],
  },
  { name: "tiedWeights given as a string", call: unfolding({ tiedWeights: "no" }), error: UnfoldError, op: "defineUnfolding", mentions: ["tiedWeights", "'no'"] },
  { name: "an infinite tolerance", call: unfolding({ tolerance: Infinity }), error: UnfoldError, op: "defineUnfolding", mentions: ["tolerance", "Infinity"] },
  { name: "a NaN tolerance", call: unfolding({ tolerance: NaN }), error: UnfoldError, op: "defineUnfolding", mentions: ["tolerance", "NaN"] },
  {
    name: "a step size override given as a string",
    call: unfolding({ stepSizes: { gd: "0.1" } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["stepSizes.gd", "'0.1'"],
  },
  { name: "stepSizes given as a number", call: unfolding({ stepSizes: 0.1 }), error: UnfoldError, op: "defineUnfolding", mentions: ["stepSizes", "0.1"] },
  {
    name: "a step size for a projection, which takes none",
    call: unfolding({ steps: [gd, keep], stepSizes: { keep: 0.5 } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["stepSizes.keep", "projection"],
  },
  {
    name: "a per-layer step size list of the wrong length",
    call: unfolding({ layers: 3, stepSizes: { gd: [0.1, 0.2] } }),
    error: UnfoldError,
    op: "defineUnfolding",
    mentions: ["stepSizes.gd", "2 sizes", "3 layers"],
  },
];
