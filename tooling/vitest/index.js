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
      testTimeout: 60_000,
      ...(extra.test ?? {}),
    },
  });
}
