// The fixed-point exports' metadata, apart from the Loop-building code: the package's public
// types reach this file, and it must not pull the ONNX protobuf types (onnx-proto) into them.
import type { ModelMetadata } from "./export.js";

/** Metadata keys a fixed-point model carries beside exportOnnx's. */
export const FIXED_POINT_METADATA = {
  /** "loop": the model iterates one layer to convergence in an ONNX Loop. */
  kind: "unfold.fixed_point",
  /** The tolerance, as given (a float32 model compares with it rounded to float32). */
  tol: "unfold.fixed_point.tol",
  /** The loop's trip count. */
  maxIterations: "unfold.fixed_point.max_iterations",
} as const;

/** What a fixed-point model records about where it came from; `energyTerms` defaults to the energy's terms. */
export type FixedPointMetadata = Omit<ModelMetadata, "steps">;
