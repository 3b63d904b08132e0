import { unfoldProject } from "@unfold/vitest-config";

// This file (not vite.config.ts, which builds the app) is the vitest project.
export default unfoldProject("studio", { test: { testTimeout: 240_000, hookTimeout: 240_000 } });
