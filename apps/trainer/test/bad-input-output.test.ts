import { describe, expect, it } from "vitest";
import { trainCommand } from "../src/index.js";
import { TRAIN_SCRIPT } from "./helpers/trainer.js";
import { outputCases } from "./output-safety/cases.js";

/**
 * `pnpm train` refuses an output it cannot or must not write, and a checkpoint it cannot
 * resume, before any training: each error names the flag or the config file and field, the
 * directory or file, and what is wrong with it. See output-safety/cases.ts for the table.
 */

const cases = outputCases();
const areas = [...new Set(cases.map((c) => c.area))];
const trainer = { trainCommand, script: TRAIN_SCRIPT };

describe("pnpm train refuses bad output directories and damaged checkpoints, naming them", () => {
  it("has the table's cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));
  for (const area of areas) {
    describe(area, () => {
      for (const c of cases.filter((k) => k.area === area)) {
        it(c.name, async () => {
          const message = await c.run(trainer);
          expect(message, `${c.name}: the command accepted it`).toBeDefined();
          expect(message).not.toMatch(/^HANG/);
          // One line a person can read, not a schema dump or a stack.
          expect(message).not.toContain("\n");
          for (const text of c.names) expect(message, `${c.name}: the error should name ${text}`).toContain(text);
          c.after?.();
        });
      }
    });
  }
});
