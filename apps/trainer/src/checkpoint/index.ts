// Checkpoints: safetensors tensor files plus a JSON manifest, written so a crash never leaves
// the directory without a complete checkpoint.
export { type NamedTensor, encodeSafetensors, decodeSafetensors } from "@unfold/training";
export { type Checkpoint, type LoadedCheckpoint, type SaveOptions, saveCheckpoint, loadCheckpoint } from "./store.js";
export { MANIFEST_NAME } from "@unfold/training";
