// Plain-loop float64 implementations of standard Transformer layers: an oracle independent of
// Unfold's tracing and autodiff, for tests and the fidelity report.
export {
  standardAttentionSublayer,
  standardFeedForwardSublayer,
  standardTransformerLayer,
  type StandardLayerWeights,
} from "./standard-layer.js";
