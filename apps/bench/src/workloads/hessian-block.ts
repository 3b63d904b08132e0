import { summarize } from "../measure.js";
import type { Backend } from "@unfold/core";
import { timeHessianBlock } from "@unfold/hessian";
import type { BenchRow } from "../runner.js";

/** d_model of the hessian-block workload per size name: small and medium, as the issue sets them. */
export const HESSIAN_BLOCK_SIZES: Readonly<Record<string, number>> = { small: 16, medium: 64 };

export const CLOSED_FORM = "closed-form";

export interface HessianBlockPlan {
  /** Size names to run, and d_model for each (HESSIAN_BLOCK_SIZES by default). */
  readonly sizes: readonly string[];
  readonly dModels?: Readonly<Record<string, number>>;
  readonly repeats: number;
  /** Where the Hessian-vector products run (the CPU backend in a full run). */
  readonly backend: Backend;
  /** The products' engine name, for the row. */
  readonly backendEngine: string;
  readonly onProgress?: (message: string) => void;
}

const minOf = (xs: readonly number[]): number => Math.min(...xs);
const maxOf = (xs: readonly number[]): number => Math.max(...xs);

/**
 * The hessian-block workload: H_QQ of one attention layer (16 tokens, MSE) in closed form against
 * column by column from Hessian-vector products on a backend, the same instance both ways. It
 * compares two methods, not engines, so it has two rows per size: the HVP assembly is the
 * baseline (ratio 1) and the closed form's ratio is its speed-up; relErr is the two blocks'
 * agreement. No GFLOP/s: the methods do different work for the same result.
 */
export async function hessianBlockRows(plan: HessianBlockPlan): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of plan.sizes) {
    const dModels = plan.dModels ?? HESSIAN_BLOCK_SIZES;
    const dModel = dModels[size];
    if (dModel === undefined) throw new Error(`hessian-block: no size '${size}' (sizes: ${Object.keys(dModels).join(", ")})`);
    plan.onProgress?.(`hessian-block ${size} (d_model ${dModel}): closed form and ${dModel * dModel} Hessian-vector products on ${plan.backendEngine} ...`);
    const t = await timeHessianBlock({ dModel, repeats: plan.repeats, backend: plan.backend });
    plan.onProgress?.(`hessian-block ${size}: closed form ${t.closedFormMs.toFixed(1)} ms, assembly ${t.hvpAssemblyMs.toFixed(1)} ms (${t.speedup.toFixed(1)}x)`);
    const label = `d${dModel}`;
    rows.push(
      {
        workload: "hessian-block",
        size: label,
        engine: CLOSED_FORM,
        medianMs: t.closedFormMs,
        minMs: minOf(t.closedFormRunsMs),
        maxMs: maxOf(t.closedFormRunsMs),
        madMs: summarize(t.closedFormRunsMs).madMs,
        runs: t.closedFormRunsMs.length,
        gflops: null,
        relErr: t.relErr,
        ratioVsBestPeer: t.speedup,
        // Timed inside the hessian package, not through an engine's prepare and check.
        heapMB: null,
        poolMB: null,
      },
      {
        workload: "hessian-block",
        size: label,
        engine: `hvp-assembly (${plan.backendEngine})`,
        medianMs: t.hvpAssemblyMs,
        minMs: minOf(t.hvpAssemblyRunsMs),
        maxMs: maxOf(t.hvpAssemblyRunsMs),
        madMs: summarize(t.hvpAssemblyRunsMs).madMs,
        runs: t.hvpAssemblyRunsMs.length,
        gflops: null,
        relErr: t.relErr,
        ratioVsBestPeer: 1,
        heapMB: null,
        poolMB: null,
      },
    );
  }
  return rows;
}
