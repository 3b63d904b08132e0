import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";
import { OutputError, makeDirectory, prepareOutputDirectory, prepareOutputFile } from "../src/index.js";

const temp = (): string => mkdtempSync(join(tmpdir(), "unfold-files-"));
const fixture = fileURLToPath(new URL("./fixtures/make-dir.ts", import.meta.url));

describe("output directories", () => {
  it("creates missing parents one by one and returns the absolute path", () => {
    const root = temp();
    const dir = makeDirectory(join(root, "a", "b", "c"), "--out");
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(makeDirectory(dir, "--out")).toBe(dir); // existing: fine
  });

  it("fails at once under /proc, where a recursive mkdir never returns", async () => {
    // A child process: Node's recursive mkdir spins there forever and would block this thread.
    const result = await runCommand(fixture, ["/proc/unfold-test/deeper"], { timeoutMs: 60_000 });
    expect(result.timedOut).toBe(false);
    expect(result.stdout).toContain("--out: cannot create directory '/proc/unfold-test'");
  });

  it("names the flag and the path when the target or a parent is a file", () => {
    const root = temp();
    const file = join(root, "file");
    writeFileSync(file, "x");
    expect(() => makeDirectory(file, "--out")).toThrow(`--out: cannot use '${file}' as a directory: '${file}' exists and is not a directory`);
    expect(() => makeDirectory(join(file, "sub"), "--out")).toThrow(`'${file}' (in '${join(file, "sub")}') is a file, not a directory`);
    expect(() => makeDirectory(file, "--out")).toThrow(OutputError);
    // A path that cannot even be looked at (here: a name too long) still names the flag.
    expect(() => makeDirectory(join(root, "x".repeat(300), "run"), "--out")).toThrow(/^--out: cannot (look at|create directory) '.*': the name is too long \(ENAMETOOLONG\)$/);
  });

  it("proves a directory writable before any work: a virtual file system is refused", () => {
    expect(() => prepareOutputDirectory("/proc/self", "--out")).toThrow(/^--out: cannot write into '\/proc\/self': /);
    const root = temp();
    expect(prepareOutputDirectory(join(root, "new"), "--out")).toBe(join(root, "new"));
  });

  it("refuses a directory where a file is wanted, and prepares the file's directory", () => {
    const root = temp();
    expect(() => prepareOutputFile(root, "--out")).toThrow(`--out: '${root}' is a directory; give a file path`);
    expect(prepareOutputFile(join(root, "x", "m.onnx"), "--out")).toBe(join(root, "x", "m.onnx"));
    expect(statSync(join(root, "x")).isDirectory()).toBe(true);
    expect(() => prepareOutputFile("/proc/x/m.onnx", "--out")).toThrow("--out: cannot create directory '/proc/x'");
  });
});
