import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { captureIO, runCommand } from "./index.js";

/** One bad-input case of a CLI: its arguments, and what the error must name (flag, value, path, valid values). */
export type RefusalCase = readonly [args: readonly string[], mentions: readonly string[]];

/** Arguments as a test name: an empty one as '', the scratch folder as $TMP. */
const show = (args: readonly string[], scratch: string): string => args.map((a) => (a === "" ? "''" : a.replaceAll(scratch, "$TMP"))).join(" ");

/**
 * A test per case: the command, called in process, must refuse its arguments before any work
 * starts: an error naming everything in `mentions`, no progress, no result, and nothing written
 * under `scratch` (not even a temp file).
 */
export function refusalTable(
  command: string,
  cases: readonly RefusalCase[],
  run: (args: string[], io: ReturnType<typeof captureIO>) => Promise<unknown>,
  scratch: string,
): void {
  describe(command, () => {
    for (const [args, mentions] of cases) {
      it(`${command} ${show(args, scratch)}`, async () => {
        const before = readdirSync(scratch, { recursive: true }).sort();
        const io = captureIO();
        let message: string | undefined;
        try {
          await run([...args], io);
        } catch (error) {
          message = error instanceof Error ? error.message : String(error);
        }
        expect(message, "the command accepted its input").toBeDefined();
        for (const text of mentions) expect(message).toContain(text);
        expect(io.progressed).toEqual([]);
        expect(io.lines).toEqual([]);
        expect(readdirSync(scratch, { recursive: true }).sort()).toEqual(before);
      });
    }
  });
}

/**
 * A test per case, in a real process (`script`, a CLI's TypeScript entry): the command exits 1
 * with exactly the lines `mentions` on stderr (one line: the message, no stack) and nothing on
 * stdout. The deadline is a budget for a busy machine, not a speed check: what it catches is a
 * command that never returns (Node's recursive mkdir on /proc).
 */
export function spawnedRefusals(command: string, script: string, cases: readonly RefusalCase[]): void {
  for (const [args, lines] of cases) {
    it(`${command} ${args.join(" ")}`, async () => {
      const result = await runCommand(script, args, { timeoutMs: 120_000 });
      expect(result.timedOut).toBe(false);
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual(lines);
      expect(result.stdout).toBe("");
    });
  }
}
