// Probes for a WebGPU adapter once per test run and tells every test file what to do (gpu.ts).
import type { TestProject } from "vitest/node";
import { decide, probeAdapter } from "./gpu.js";

export default async function setup(project: TestProject): Promise<void> {
  const { decision, line } = decide(await probeAdapter(), process.env);
  if (line) console.warn(line);
  project.provide("webgpu", decision);
}
