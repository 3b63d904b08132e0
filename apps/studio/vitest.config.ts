import { unfoldProject } from "@unfold/vitest-config";

// This file (not vite.config.ts, which builds the app) is the vitest project.
// The browser tests share one build of the app per run (test/global-build.ts).
export default unfoldProject("studio", { test: { testTimeout: 240_000, hookTimeout: 240_000, globalSetup: ["test/global-build.ts"] } });
