import { describe, inject, it } from "vitest";
import { INSTALL_DRIVER_HINT, WebGpuBackend } from "../src/index.js";

/** What the test run does about WebGPU, decided once per run in global-setup.ts. */
export type GpuDecision = "run" | "skip" | "fail";

declare module "vitest" {
  export interface ProvidedContext {
    webgpu: GpuDecision;
  }
}

/** Whether this machine has a WebGPU adapter: try to open a device, and close it again. */
export async function probeAdapter(): Promise<boolean> {
  try {
    await (await WebGpuBackend.create()).dispose();
    return true;
  } catch {
    return false;
  }
}

/**
 * No adapter is an error in CI (the driver is part of the CI image) and a skip on a developer's
 * machine, with one line saying how to install the driver.
 */
export function decide(available: boolean, env: Readonly<Record<string, string | undefined>>): { decision: GpuDecision; line?: string } {
  if (available) return { decision: "run" };
  const ci = env["CI"] !== undefined && env["CI"] !== "" && env["CI"] !== "false" && env["CI"] !== "0";
  if (ci) return { decision: "fail", line: `webgpu: no WebGPU adapter in CI; the CI image must install the driver (${INSTALL_DRIVER_HINT})` };
  return { decision: "skip", line: `webgpu tests skipped: no WebGPU adapter; install the driver with: ${INSTALL_DRIVER_HINT}` };
}

/** Registers `tests` when there is an adapter; otherwise one failing (CI) or skipped test in their place. */
export function describeGpu(name: string, tests: () => void): void {
  const decision = inject("webgpu");
  if (decision === "run") describe(name, tests);
  else if (decision === "fail") it(`${name}: needs a WebGPU adapter`, () => {
    throw new Error(decide(false, { CI: "true" }).line);
  });
  // The tests are not even collected: collecting may need a device (conformance asks one for its dtypes).
  else it.skip(`${name}: no WebGPU adapter`, () => undefined);
}
