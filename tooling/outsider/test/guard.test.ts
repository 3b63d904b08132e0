import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkTarball, manifestOf } from "../src/guard.js";
import { readTarball } from "../src/tar.js";

const scratch = mkdtempSync(join(tmpdir(), "outsider-guard-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
/** A gzipped tarball as npm packs one: `files` (path -> content) under package/, with `format` (ustar, or pax for long names). */
function tarball(files: Record<string, string>, format: "ustar" | "pax" = "ustar"): string {
  const dir = join(scratch, `fixture-${++count}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "package", path)), { recursive: true });
    writeFileSync(join(dir, "package", path), content);
  }
  const out = join(scratch, `fixture-${count}.tgz`);
  execFileSync("tar", [`--format=${format}`, "-czf", out, "-C", dir, "package"]);
  return out;
}

const manifest = (fields: Record<string, unknown>): string => JSON.stringify({ name: "@unfold/example", version: "1.2.0", ...fields });
const PUBLISHED = new Map([
  ["@unfold/example", "1.2.0"],
  ["@unfold/core", "1.2.0"],
]);
const GOOD = {
  "package.json": manifest({
    bin: { example: "./dist/bin/example.js" },
    exports: { ".": { "@unfold/source": "./src/index.ts", types: "./dist/index.d.ts", import: "./dist/index.js" }, "./package.json": "./package.json" },
    dependencies: { "@unfold/core": "^1.2.0", zod: "^4.0.0" },
    devDependencies: { "@unfold/tsconfig": "0.0.0" },
  }),
  "src/index.ts": "export {};",
  "dist/index.js": "export {};",
  "dist/index.d.ts": "export {};",
  "dist/bin/example.js": "#!/usr/bin/env node\n",
};

describe("the tarball guard", () => {
  it("passes a tarball whose specifiers are versions and whose named files are all there", () => {
    expect(checkTarball(tarball(GOOD), PUBLISHED)).toEqual([]);
    expect(manifestOf(tarball(GOOD))).toEqual({ name: "@unfold/example", version: "1.2.0" });
  });

  it("refuses a workspace: specifier, naming the tarball, the field and the dependency", () => {
    const bad = tarball({ ...GOOD, "package.json": manifest({ dependencies: { "@unfold/core": "workspace:^" } }) });
    const problems = checkTarball(bad, PUBLISHED);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^fixture-\d+\.tgz: package\.json dependencies\['@unfold\/core'\] is 'workspace:\^': a workspace: specifier/);
  });

  it("refuses workspace:, catalog:, link: and file: in any dependency field, devDependencies included", () => {
    const bad = tarball({
      ...GOOD,
      "package.json": manifest({
        peerDependencies: { vitest: "catalog:" },
        optionalDependencies: { a: "link:../a" },
        devDependencies: { "@unfold/tsconfig": "workspace:*", b: "file:../b" },
      }),
    });
    const problems = checkTarball(bad, PUBLISHED);
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/peerDependencies\['vitest'\] is 'catalog:'/);
    expect(problems.join("\n")).toMatch(/optionalDependencies\['a'\] is 'link:\.\.\/a'/);
    expect(problems.join("\n")).toMatch(/devDependencies\['@unfold\/tsconfig'\] is 'workspace:\*'/);
    expect(problems.join("\n")).toMatch(/devDependencies\['b'\] is 'file:\.\.\/b'/);
  });

  it("refuses a tarball that lacks a file its exports name, naming the condition and the path", () => {
    const { "dist/index.d.ts": _dropped, ...rest } = GOOD;
    const problems = checkTarball(tarball(rest), PUBLISHED);
    expect(problems).toEqual([expect.stringMatching(/: package\.json exports\['\.'\]\['types'\] names '\.\/dist\/index\.d\.ts', which the tarball lacks$/)]);
  });

  it("refuses a missing main, types or bin, and a bin without a #! line", () => {
    const bad = tarball({
      ...GOOD,
      "package.json": manifest({ main: "./dist/main.js", types: "dist/types.d.ts", bin: { example: "./dist/bin/example.js", other: "./dist/bin/other.js" } }),
      "dist/bin/example.js": "console.log('no shebang');\n",
    });
    const problems = checkTarball(bad, PUBLISHED).join("\n");
    expect(problems).toMatch(/main names '\.\/dist\/main\.js', which the tarball lacks/);
    expect(problems).toMatch(/types names 'dist\/types\.d\.ts', which the tarball lacks/);
    expect(problems).toMatch(/bin\['other'\] names '\.\/dist\/bin\/other\.js', which the tarball lacks/);
    expect(problems).toMatch(/bin\['example'\] names '\.\/dist\/bin\/example\.js', which has no #! line/);
  });

  it("checks exports patterns and nested subpaths: a pattern needs one matching file", () => {
    const withPattern = { ...GOOD, "package.json": manifest({ exports: { "./zoo/*": { import: "./dist/zoo/*.js" } } }) };
    expect(checkTarball(tarball(withPattern), PUBLISHED)).toEqual([expect.stringMatching(/exports\['\.\/zoo\/\*'\]\['import'\] names '\.\/dist\/zoo\/\*\.js', which the tarball lacks/)]);
    expect(checkTarball(tarball({ ...withPattern, "dist/zoo/hopfield.js": "" }), PUBLISHED)).toEqual([]);
  });

  it("refuses a dependency on an @unfold package the release does not publish, or at another version", () => {
    const bad = tarball({ ...GOOD, "package.json": manifest({ dependencies: { "@unfold/cli": "^0.0.0", "@unfold/core": "^1.1.0" } }) });
    const problems = checkTarball(bad, PUBLISHED).join("\n");
    expect(problems).toMatch(/dependencies\['@unfold\/cli'\] is '\^0\.0\.0', but @unfold\/cli is not a published package/);
    expect(problems).toMatch(/dependencies\['@unfold\/core'\] is '\^1\.1\.0', but the release packs @unfold\/core 1\.2\.0/);
  });

  it("refuses a tarball with no package.json", () => {
    expect(checkTarball(tarball({ "index.js": "" }), PUBLISHED)).toEqual([expect.stringMatching(/: no package\/package\.json in the tarball$/)]);
  });

  it("reads a name longer than a ustar header holds from its pax header", () => {
    const long = `dist/${"deeply-nested-folder/".repeat(6)}module-with-a-long-name.js`;
    const files = readTarball(tarball({ ...GOOD, [long]: "export const x = 1;" }, "pax"));
    expect(files.get(`package/${long}`)?.toString()).toBe("export const x = 1;");
    expect(files.get("package/dist/index.js")?.toString()).toBe("export {};");
  });
});
