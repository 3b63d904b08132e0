// The growth-rate plot's numbers: the Frobenius norms of the V and Q blocks (Gauss-Newton part,
// functional part, full) as the data scale sigma grows, in closed form on the scene's tokens, and
// their log-log slopes fitted below softmax saturation, as `pnpm hessian scaling` fits its own
// (the same fit range and the same predicted slopes).
import type { HostTensor } from "@unfold/core";
import { PREDICTED_SLOPES, QUICK_SCALING, attentionHessian, frobenius, logGrid, logLogSlope } from "@unfold/hessian";
import { sceneAttentionInstance } from "./instance.js";

/** The curves drawn, each a block and a part of it, named as the growth-rate study names them. */
export const GROWTH_SERIES = ["V_outer", "V_full", "Q_outer", "Q_functional", "Q_full"] as const;
export type GrowthSeries = (typeof GROWTH_SERIES)[number];

const PARTS: Record<GrowthSeries, readonly [string, string]> = {
  V_outer: ["VV", "outer"],
  V_full: ["VV", "full"],
  Q_outer: ["QQ", "outer"],
  Q_functional: ["QQ", "functional"],
  Q_full: ["QQ", "full"],
};

/** The data scales the slider spans: sigma from 10^-2 to 10^1, as the growth-rate study's grid. */
export const SIGMA_RANGE = [1e-2, 1e1] as const;
/** Points of the grid over the slider's range (the study's quick grid). */
export const GROWTH_POINTS = QUICK_SCALING.sigmas.length;
/** Slopes are fitted over this range of sigma, below softmax saturation (the study's own). */
export const FIT_RANGE = QUICK_SCALING.fitRange;

export interface GrowthCurves {
  readonly sigmas: number[];
  readonly norms: Record<GrowthSeries, number[]>;
  /** The fitted log-log slope per series over FIT_RANGE; null where a norm there is zero. */
  readonly slopes: Record<GrowthSeries, number | null>;
  readonly predicted: Record<GrowthSeries, number>;
}

/** The series' block norms of the scene's attention instance at one data scale. */
export function growthPoint(state: HostTensor, scene: string, sigma: number): Record<GrowthSeries, number> {
  const hessian = attentionHessian(sceneAttentionInstance(state, scene, sigma));
  return Object.fromEntries(GROWTH_SERIES.map((s) => [s, frobenius(hessian.block(...PARTS[s]))])) as Record<GrowthSeries, number>;
}

/** Block norms on `points` data scales evenly spaced in log over SIGMA_RANGE, and their fitted slopes. */
export function growthCurves(state: HostTensor, scene: string, points = GROWTH_POINTS): GrowthCurves {
  const sigmas = logGrid(SIGMA_RANGE[0], SIGMA_RANGE[1], points);
  const norms = Object.fromEntries(GROWTH_SERIES.map((s) => [s, [] as number[]])) as Record<GrowthSeries, number[]>;
  for (const sigma of sigmas) {
    const point = growthPoint(state, scene, sigma);
    for (const s of GROWTH_SERIES) norms[s].push(point[s]);
  }
  // The study's own selection of the fit points, tolerance included.
  const fit = sigmas.flatMap((s, i) => (s >= FIT_RANGE[0] * (1 - 1e-9) && s <= FIT_RANGE[1] * (1 + 1e-9) ? [i] : []));
  if (fit.length < 2) throw new Error(`curvature: ${points} data scales over ${SIGMA_RANGE[0]}..${SIGMA_RANGE[1]} leave ${fit.length} in the fit range [${FIT_RANGE[0]}, ${FIT_RANGE[1]}]; a slope needs 2`);
  const slopes = Object.fromEntries(
    GROWTH_SERIES.map((s) => {
      const ys = fit.map((i) => norms[s][i]!);
      return [s, ys.every((y) => y > 0) ? logLogSlope(fit.map((i) => sigmas[i]!), ys) : null];
    }),
  ) as Record<GrowthSeries, number | null>;
  const predicted = Object.fromEntries(GROWTH_SERIES.map((s) => [s, PREDICTED_SLOPES[s]])) as Record<GrowthSeries, number>;
  return { sigmas, norms, slopes, predicted };
}
