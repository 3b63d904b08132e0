// @unfold/sweep: one command's runs over the points of a spec, on this machine or across
// machines, collated into one results table. See docs/sweeps.md.
export * from "./spec/index.js";
export * from "./job/index.js";
export * from "./results/index.js";
export { sweepMain } from "./commands/main.js";
export * from "./embedded/index.js";
export * from "./queue/index.js";
