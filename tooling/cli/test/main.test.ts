import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCommand } from "@unfold/testing";
import { formatError, verboseErrors } from "../src/index.js";

const fixture = fileURLToPath(new URL("./fixtures/main.ts", import.meta.url));

describe("runMain", () => {
  it("prints one line for a failed main and exits 1; --verbose adds the stack and is not passed on", async () => {
    const plain = await runCommand(fixture, ["reject"]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe("error: --size: unknown value 'huge'\n");
    const verbose = await runCommand(fixture, ["reject", "--verbose"]);
    expect(verbose.stderr).toMatch(/^error: --size: unknown value 'huge'\nError: --size: unknown value 'huge'\n\s+at /);
    const args = await runCommand(fixture, ["args", "--verbose", "x"]);
    expect(JSON.parse(args.stdout)).toEqual(["args", "x"]);
  });

  it("reports a bug in one line with a hint, and DEBUG=unfold gives its stack", async () => {
    const bug = await runCommand(fixture, ["bug"]);
    expect(bug.code).toBe(1);
    expect(bug.stderr.trim().split("\n")).toHaveLength(1);
    expect(bug.stderr).toMatch(/^error: Cannot read properties of undefined .*\(an internal error: rerun with --verbose or DEBUG=unfold for the stack\)$/m);
    const debug = await runCommand(fixture, ["bug"], { env: { DEBUG: "unfold" } });
    expect(debug.stderr).toMatch(/TypeError: Cannot read properties of undefined[^\n]*\n\s+at /);
  });

  it("reports an error that escapes main (a rejection in a timer) in one line and exits 1", async () => {
    const escaped = await runCommand(fixture, ["escape"]);
    expect(escaped.code).toBe(1);
    expect(escaped.stderr).toBe("error: a worker died\n");
  });

  it("formats causes under --verbose and reads DEBUG lists", () => {
    const error = new Error("save failed", { cause: new Error("ENOSPC") });
    expect(formatError(error, false)).toBe("error: save failed");
    expect(formatError(error, true)).toMatch(/caused by: Error: ENOSPC/);
    expect(verboseErrors([], { DEBUG: "vite,unfold" })).toBe(true);
    expect(verboseErrors([], { DEBUG: "vite" })).toBe(false);
    expect(verboseErrors(["--verbose"], {})).toBe(true);
  });
});
