// Shared vitest settings for every package: tests import sibling packages from their sources
// (the "@unfold/source" export condition), so no build is needed before testing.
import { defineProject } from "vitest/config";

// Vite adds "import" or "require" per import by itself. Listing "import" here would also hand it
// to Node (as --conditions) for externalized packages, and a require() inside a CommonJS package
// would then land on an ES module entry (protobufjs under onnx-proto breaks that way).
const conditions = ["@unfold/source", "module", "node", "development|production"];

/** @param {string} name @param {import("vitest/config").UserProjectConfigExport} [extra] */
export function unfoldProject(name, extra = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    ...extra,
    test: {
      name,
      include: ["test/**/*.test.ts"],
      pool: "forks",
      environment: "node",
      // Budgets, not speed checks: a test must pass on a busy 2-core machine, where a whole run
      // has taken 2-3x its idle time. A hang still fails, just later. Tests that spawn or train
      // set budgets of their own with the same margin over their loaded time.
      testTimeout: 240_000,
      hookTimeout: 240_000,
      ...(extra.test ?? {}),
    },
  });
}
