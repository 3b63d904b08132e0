import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tooling/cli", "tooling/files", "tooling/plot", "tooling/testing", "tooling/outsider", "tooling/boundaries"],
  },
});
