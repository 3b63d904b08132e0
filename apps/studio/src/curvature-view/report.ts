// What the curvature view publishes on window.__studio.curvature: the numbers it drew, so the
// browser test (and anyone at the console) reads them rather than the pixels.
import type { GrowthCurves, GrowthSeries } from "./growth.js";

export interface CurvatureReport {
  readonly scene: string;
  /** The data scale the blocks are drawn at (the slider's value). */
  readonly sigma: number;
  /** The first sequence's tokens and width: X is tokens x width, each weight width x width. */
  readonly tokens: number;
  readonly width: number;
  /** The canonical blocks of the full Hessian at sigma, row-major. */
  readonly blocks: { readonly name: string; readonly rows: number; readonly cols: number; readonly values: number[]; readonly frobenius: number }[];
  /** The growth curves over the slider's range, and the point at sigma marked on them. */
  readonly growth: GrowthCurves & { readonly current: { readonly sigma: number; readonly norms: Record<GrowthSeries, number> } };
  /** This update's time in the page: the numbers and the drawing. */
  readonly ms: number;
}

export interface CurvatureApi {
  /** The update under way (or the last one): resolves to its report, rejects with its error. */
  current: Promise<CurvatureReport> | undefined;
  last: CurvatureReport | undefined;
  error: string | undefined;
}
