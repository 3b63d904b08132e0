import { type DType, type Energy, type Shape, energyProgram, gradientStep, stepProgram } from "@unfold/core";
import type { EnergyDiagnostic } from "./diagnostic.js";
import { type CodeMap, errorDiagnostic, withDeepStacks } from "./locate-error.js";

/** The outcome of a trial trace: nothing to report, or the mistake at its line. */
export type TraceCheck = { readonly ok: true } | { readonly ok: false; readonly diagnostics: readonly EnergyDiagnostic[] };

/**
 * Traces `energy` at a state of shape `shape` (its parameters at their declared shapes) the
 * way a run will: its value and each term, then one autodiff gradient step when it has a
 * smooth term. Nothing is computed; an error raised by the energy's own code while tracing (a
 * shape mismatch inside a term, a parameter it does not declare) becomes a diagnostic at that
 * code's line, through the `codeMap` compileEnergySource returned with the energy.
 */
export function traceEnergyChecked(energy: Energy, shape: Shape, options: { readonly codeMap: CodeMap; readonly dtype?: DType | undefined }): TraceCheck {
  const dtype = options.dtype ?? "float64";
  try {
    withDeepStacks(() => {
      energyProgram(energy, shape, dtype);
      const smooth = energy.terms.filter((t) => !t.prox).map((t) => t.name);
      if (smooth.length > 0) stepProgram(energy, gradientStep(energy, { stepSize: 0.1, terms: smooth, name: "trial" }), shape, dtype);
    });
  } catch (error) {
    return { ok: false, diagnostics: [errorDiagnostic(error, options.codeMap)] };
  }
  return { ok: true };
}
