import { dirname, resolve } from "node:path";
import { type OnnxModelSummary, exportOnnx, inspectOnnx } from "@unfold/backend-onnx";
import { unfoldVersion } from "@unfold/backend-onnx/node";
import { makeDirectory, writeChecksum, writeFileAtomic } from "@unfold/files";
import { type DType, type HostTensor, type Program, defineUnfolding, unfoldedProgram } from "@unfold/core";
import { paramsIn, yangModel } from "./yang-model.js";

/** The unfolded model to export: the demo's by default (see DEFAULT_EXPORT). */
export interface UnfoldedModelSpec {
  readonly layers: number;
  /** Token dimension d (the demo's 4x4 patches give 16). */
  readonly dim: number;
  /** Tokens per sequence n (the demo's 28x28 digits in 4x4 patches give 49). */
  readonly tokens: number;
  /** The batch the program is traced at: the example size, or the only one with a fixed batch axis. */
  readonly batch: number;
  readonly seed: number;
  readonly dtype: DType;
}

export interface ExportSpec extends UnfoldedModelSpec {
  readonly opset: number;
  /** Leave the batch axis symbolic (named "batch"), so the model runs at any batch size. */
  readonly symbolicBatch: boolean;
}

/** What `pnpm unfold` (the demo) unfolds: 12 tied layers on 8 digits of 49 tokens of dimension 16, seed 0. */
export const DEFAULT_EXPORT: ExportSpec = { layers: 12, dim: 16, tokens: 49, batch: 8, seed: 0, dtype: "float32", opset: 18, symbolicBatch: true };

/** The unfolded Yang program (state -> state) with its parameter values and the energy's term names. */
export function unfoldedModel(spec: UnfoldedModelSpec): { program: Program; params: Record<string, HostTensor>; terms: string[] } {
  const { energy, params, steps } = yangModel(spec.dim, spec.seed);
  const unfolding = defineUnfolding({ energy, steps, layers: spec.layers, tiedWeights: true });
  const program = unfoldedProgram(unfolding, [spec.batch, spec.tokens, spec.dim], spec.dtype);
  return { program, params: paramsIn(params, spec.dtype), terms: energy.terms.map((t) => t.name) };
}

/**
 * Writes the unfolded model as a standalone .onnx file: parameters baked in as initializers, the
 * batch axis symbolic unless told otherwise, metadata naming the energy terms, the layer count and
 * the Unfold version. The write is atomic (a temporary file beside `out`, then a rename), so a
 * failure leaves nothing behind, and `<out>.sha256` beside it holds the file's checksum (what
 * `pnpm train predict` checks a model against). Returns the absolute paths and what the file holds.
 */
export async function exportUnfoldedModel(out: string, spec: ExportSpec = DEFAULT_EXPORT): Promise<{ path: string; checksumPath: string; summary: OnnxModelSummary }> {
  const { program, params, terms } = unfoldedModel(spec);
  const path = resolve(out);
  // One component at a time: a recursive mkdir never returns on some impossible paths (/proc/...).
  makeDirectory(dirname(path), "exportUnfoldedModel");
  const bytes = exportOnnx(program, {
    params,
    opset: spec.opset,
    ...(spec.symbolicBatch ? { batchDim: "batch" } : {}),
    metadata: { energyTerms: terms, steps: spec.layers, unfoldVersion: unfoldVersion() },
    graphName: "unfolded_yang",
  });
  await writeFileAtomic(path, bytes);
  const checksumPath = await writeChecksum(path, bytes);
  return { path, checksumPath, summary: inspectOnnx(bytes) };
}
