// The backend kit: the plumbing every backend shares (the compile pipeline, the lifecycle of a
// backend, its executables and device tensors, and the slots and live intervals planners assign
// buffers by), so a backend adds only its lowering and device code.
export { BackendLife } from "./life.js";
export { ExecutableLife, executableReleased } from "./executable.js";
export { HeldDeviceTensor } from "./device-tensor.js";
export { type CompileSteps, CompilePipeline, unsupportedNode } from "./compile.js";
export { type PlanSlot, type PlanSlotKind } from "./slots.js";
export { type LiveInterval, type StepAccess, liveIntervals, workspaceByFirstWrite } from "./liveness.js";
export { type LoweringTable, type NodeOf, familyLowering, lowerNode } from "./lowering.js";
export { describeNode } from "./describe.js";
