// The trainer's data layer: tasks (MNIST, synthetic, a user's file) behind one TaskData shape,
// and a stateless sampler so resumed runs see the same batches.
export {
  type InputKind,
  type TargetKind,
  type TaskBatch,
  type TaskData,
  type Split,
  IGNORE_LABEL,
  inputShape,
  targetShape,
  inputSize,
  targetSize,
  trainBatchIndices,
  stepsPerEpoch,
  mixSeed,
  type StoredSplit,
  storedTask,
} from "@unfold/training";
export { type MnistTaskOptions, mnistTask } from "./mnist.js";
export { additionTask } from "./addition.js";
export { type RecallTaskOptions, recallTask } from "./recall.js";
export { type FileTaskOptions, fileTask } from "./file.js";
export { DataFileError } from "./file-error.js";
