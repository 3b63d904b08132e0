// `pnpm studio` with arguments it does not know: one line naming them, exit status 2, nothing started.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../bin/studio.mjs", import.meta.url));

function studio(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("pnpm studio", () => {
  it("names an unknown argument in one line and exits 2", () => {
    const run = studio("serve");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("error: unknown argument 'serve'; usage: pnpm studio [build | bench ...]  (no argument: serve the app; build: write apps/studio/dist; bench: measure it, see bench --help)\n");
  });

  it("names every extra argument after build", () => {
    const run = studio("build", "--out", "x");
    expect(run.status).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe("error: unknown arguments '--out', 'x'; usage: pnpm studio [build | bench ...]  (no argument: serve the app; build: write apps/studio/dist; bench: measure it, see bench --help)");
  });
});
