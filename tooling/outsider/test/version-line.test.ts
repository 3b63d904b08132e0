import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishedPackages } from "../src/workspace.js";

const repo = join(import.meta.dirname, "..", "..", "..");
const changesets = JSON.parse(readFileSync(join(repo, ".changeset", "config.json"), "utf8")) as { fixed: string[][]; ignore: string[] };

describe("one version line", () => {
  it("keeps every published package in one fixed changesets group, and only those", () => {
    expect(changesets.fixed).toHaveLength(1);
    expect([...changesets.fixed[0]!].sort()).toEqual(publishedPackages(repo).map((p) => p.name));
  });

  it("has every published package on the same version now, not only at the next release", () => {
    const versions = new Set(publishedPackages(repo).map((p) => p.version));
    expect([...versions]).toHaveLength(1);
  });

  it("publishes the unfold CLI and ignores none of the published packages", () => {
    const names = publishedPackages(repo).map((p) => p.name);
    expect(names).toContain("@unfold/commands");
    expect(names.filter((n) => changesets.ignore.includes(n))).toEqual([]);
  });
});
