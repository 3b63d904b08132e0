import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { captureIO, rejectionOf, runCommand, startCommand } from "../src/index.js";

const fixture = fileURLToPath(new URL("./fixtures/behave.ts", import.meta.url));

describe("running a command's sources in a child process", () => {
  it("reports exit codes, output and input", async () => {
    const failed = await runCommand(fixture, ["fail"]);
    expect(failed).toMatchObject({ code: 2, signal: null, stderr: "bad flag\n", timedOut: false });
    const echoed = await runCommand(fixture, ["echo"], { input: "hello" });
    expect(echoed.stdout).toBe("hello");
  });

  it("kills a hang at its deadline and says so", async () => {
    const hung = await runCommand(fixture, ["hang"], { timeoutMs: 3000 });
    expect(hung).toMatchObject({ timedOut: true, signal: "SIGKILL", code: null });
  });

  it("waits for a line, delivers a signal, and rejects a wait the command exits before", async () => {
    const running = startCommand(fixture, ["ready"]);
    await running.waitFor(/ready/);
    running.child.kill("SIGINT");
    expect((await running.exited).code).toBe(130);
    const quick = startCommand(fixture, ["fail"]);
    await expect(quick.waitFor(/never printed/)).rejects.toThrow("exited");
  });

  it("captures what a command prints and what a refusal says", async () => {
    const io = captureIO();
    io.out("a");
    io.progress("b");
    expect([io.lines, io.progressed]).toEqual([["a"], ["b"]]);
    expect(await rejectionOf(() => Promise.reject(new Error("--x: bad")))).toBe("--x: bad");
    await expect(rejectionOf(() => Promise.resolve())).rejects.toThrow("succeeded");
  });
});
