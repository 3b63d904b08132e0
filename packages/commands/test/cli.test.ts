import { join } from "node:path";
import { runCommand } from "@unfold/testing";
import { describe, expect, it } from "vitest";

// The CLI from its sources, as the bundle runs it, against each app's own entry point.
const repo = join(import.meta.dirname, "..", "..", "..");
const unfold = join(import.meta.dirname, "..", "src", "bin", "unfold.ts");
const APP_BINS: Record<string, string> = {
  train: "apps/trainer/src/bin/train.ts",
  demo: "apps/verify/src/bin/unfold.ts",
  verify: "apps/verify/src/bin/verify.ts",
  bench: "apps/bench/src/bin/bench.ts",
  hessian: "apps/hessian/src/bin/hessian.ts",
};
const DEADLINE = { timeoutMs: 120_000 };

describe("unfold, run as a command", () => {
  it("prints each subcommand's own usage for `unfold <subcommand> --help`, word for word", async () => {
    const runs = await Promise.all(
      Object.entries(APP_BINS).map(async ([name, bin]) => ({
        name,
        cli: await runCommand(unfold, [name, "--help"], DEADLINE),
        app: await runCommand(join(repo, bin), ["--help"], DEADLINE),
      })),
    );
    for (const { name, cli, app } of runs) {
      expect(cli.timedOut || app.timedOut, name).toBe(false);
      expect(app.code, `${name}: ${app.stderr}`).toBe(0);
      expect(cli.code, `${name}: ${cli.stderr}`).toBe(0);
      expect(cli.stdout, name).toBe(app.stdout);
      expect(cli.stdout.length, name).toBeGreaterThan(0);
    }
  });

  it("names every command in its usage as `unfold` spells it, never as a script of the repository", async () => {
    // Each usage line starts with the words a user types to reach it (the demo's: `unfold` alone); the
    // rest of the text may name other commands, but only as `unfold ...`.
    const usages: [words: string[], typed: string][] = [
      [["demo"], "unfold"], [["export"], "unfold export"], [["hopfield"], "unfold hopfield"], [["verify"], "unfold verify"],
      [["bench"], "unfold bench"], [["bench", "scaling"], "unfold bench scaling"], [["bench", "fidelity"], "unfold bench fidelity"], [["bench", "soak"], "unfold bench soak"],
      [["hessian"], "unfold hessian"], [["hessian", "verify"], "unfold hessian verify"], [["hessian", "scaling"], "unfold hessian scaling"], [["hessian", "plots"], "unfold hessian plots"], [["hessian", "bench"], "unfold hessian bench"],
    ];
    const runs = await Promise.all(usages.map(async ([words, typed]) => ({ typed, result: await runCommand(unfold, [...words, "--help"], DEADLINE) })));
    for (const { typed, result } of runs) {
      expect(result.code, `${typed}: ${result.stderr}`).toBe(0);
      expect(result.stdout, typed).toMatch(new RegExp(`^usage: ${typed} [-[<]`));
      expect(result.stdout, typed).not.toMatch(/\bpnpm\b/);
    }
    const train = await runCommand(unfold, ["train", "--help"], DEADLINE);
    expect(train.stdout).toMatch(/^unfold train \[flags\] .*\nunfold train predict --onnx/);
    expect(train.stdout).not.toMatch(/\bpnpm\b/);
  });

  it("runs the demo's subcommands under their own names: `unfold export --help` is `pnpm unfold export --help`", async () => {
    const [cli, app] = await Promise.all([runCommand(unfold, ["export", "--help"], DEADLINE), runCommand(join(repo, APP_BINS["demo"]!), ["export", "--help"], DEADLINE)]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(app.stdout);
    expect(cli.stdout).toMatch(/export/);
  });

  it("lists the subcommands for `unfold help` and exits 0", async () => {
    const result = await runCommand(unfold, ["help"], DEADLINE);
    expect(result.code).toBe(0);
    for (const name of Object.keys(APP_BINS)) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("refuses a misspelt subcommand in one error line naming it, the nearest word and every word it takes, exit status 1", async () => {
    const result = await runCommand(unfold, ["trian", "--epochs", "1"], DEADLINE);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "error: unknown subcommand 'trian' (did you mean 'train'?): unfold's subcommands are train, demo, verify, bench, hessian, sweep, export, hopfield and help; a line that starts with a flag runs the demo (see unfold help)",
    ]);
  });

  it("passes a subcommand's errors through as its own: one line naming the flag, exit status 1", async () => {
    const result = await runCommand(unfold, ["train", "--epochs", "zero"], DEADLINE);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: .*--epochs/)]);
  });
});
