import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// `pnpm docs:api` (tooling/api-docs/build.mjs) must fail on an exported symbol without a doc
// comment, naming it, and build when every export has one. Two fixture packages that differ by
// one undocumented function show both; the real packages are built by CI's `pnpm docs:api`.
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const fixtures = join(root, "tooling", "api-docs", "fixture");
const out = mkdtempSync(join(tmpdir(), "unfold-api-docs-"));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function build(fixture: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [join(root, "tooling", "api-docs", "build.mjs"), "--packages", join(fixtures, fixture, "packages"), "--tsconfig", join(fixtures, "tsconfig.json"), "--out", join(out, fixture)],
    { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } },
  );
  // eslint-disable-next-line no-control-regex
  return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, "") };
}

describe("pnpm docs:api", () => {
  it("builds the reference of a package whose every export has a doc comment", () => {
    const { status, output } = build("documented");
    expect(output).toContain("API reference: 1 entry points");
    expect(status).toBe(0);
    expect(existsSync(join(out, "documented", "index.html"))).toBe(true);
  }, 150_000);

  it("fails on an exported function without a doc comment, naming it and its file", () => {
    const { status, output } = build("undocumented");
    expect(status).toBe(1);
    expect(output).toMatch(/triple \(CallSignature\), defined in @fixture\/undocumented\/src\/index\.ts, does not have any documentation/);
    expect(output).toContain("error: the API reference has 0 error(s) and 1 warning(s), listed above");
    // The documented exports of the same file are not reported.
    expect(output).not.toMatch(/double|Point/);
    expect(existsSync(join(out, "undocumented", "index.html"))).toBe(false);
  }, 150_000);

  // Each bad argument is refused before anything is built, in one line naming the flag.
  const refusals: [string, string[], string][] = [
    ["an unknown flag", ["--pakages", "x"], "error: unknown argument '--pakages' (expected --packages, --out or --tsconfig)"],
    ["a flag without its value", ["--out"], "error: --out needs a value"],
    ["a flag given twice", ["--out", "a", "--out", "b"], "error: --out given twice"],
    ["a folder with no published package", ["--packages", fixtures], `error: no published package with an "@unfold/source" export under '${fixtures}'`],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what}, naming it`, () => {
      const result = spawnSync(process.execPath, [join(root, "tooling", "api-docs", "build.mjs"), ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
      expect(result.stderr.trim()).toBe(message);
      expect(result.status).toBe(1);
    }, 90_000);
  }
});
