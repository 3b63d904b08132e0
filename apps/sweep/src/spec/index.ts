export { COMMAND_RULES, type CommandRule, type FlagKind, SWEEP_COMMANDS, type SweepCommand } from "./commands.js";
export { type SweepJob, JOB_ID, axisValues, expandSpec, jobId } from "./expand.js";
export { SpecError, loadSweepSpec, parseSweepSpec, validateSweepSpec } from "./load.js";
export { AXIS_NAME, type AxisValue, MAX_JOBS, METRIC_PATH, SWEEP_NAME, SweepSpec, type SweepSpecInput } from "./schema.js";
