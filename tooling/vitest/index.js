// Shared vitest settings for every package: tests import sibling packages from their sources
// (the "@unfold/source" export condition), so no build is needed before testing.
import { defineProject } from "vitest/config";

const conditions = ["@unfold/source", "import", "module", "node", "default"];

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
