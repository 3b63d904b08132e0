import type { Shape, Tensor } from "@unfold/core";
import { ParamLayout, type ParamBlockSpec } from "./layout.js";

/**
 * A model whose loss curvature is measured: parameters (stacked into theta), fixed inputs (data,
 * frozen weights, targets), an output z(theta) and a loss l(z). The split into output and loss
 * is what defines the Gauss-Newton matrix J^T (d2l/dz2) J and the functional part H - GGN.
 */
export interface CurvatureModel {
  readonly name: string;
  readonly params: readonly ParamBlockSpec[];
  readonly inputs: Readonly<Record<string, Shape>>;
  /** The model output z(theta) from the parameters and inputs. */
  output(params: Readonly<Record<string, Tensor>>, inputs: Readonly<Record<string, Tensor>>): Tensor;
  /** The loss l(z) of an output: what the Gauss-Newton split separates from the output. */
  loss(output: Tensor, inputs: Readonly<Record<string, Tensor>>): Tensor;
}

/** The layout of a model's parameters in theta. */
export function layoutOf(model: CurvatureModel): ParamLayout {
  return new ParamLayout(model.params);
}
