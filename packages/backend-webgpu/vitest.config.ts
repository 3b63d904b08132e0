import { unfoldProject } from "@unfold/vitest-config";

// The adapter probe runs once per test run, so a machine without one prints one line, not one per file.
export default unfoldProject("backend-webgpu", { test: { globalSetup: ["./test/global-setup.ts"] } });
