import { describe, expect, it } from "vitest";
import { type BadInputCase, badInputCases } from "./bad-input/cases.js";

/** The error a case's command fails with, or undefined when it was accepted. */
async function failure(run: BadInputCase["run"]): Promise<Error | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return undefined;
}

const cases = badInputCases();
const areas = [...new Set(cases.map((c) => c.area))];

describe("pnpm train and pnpm train predict refuse bad input, naming what the user gave", () => {
  for (const area of areas) {
    describe(area, () => {
      for (const c of cases.filter((k) => k.area === area)) {
        it(c.name, async () => {
          const error = await failure(c.run);
          expect(error, `${c.name}: the command accepted it`).toBeDefined();
          const message = error!.message;
          // One line a person can read, not an engine's dump.
          expect(message).not.toContain("\n");
          // A value that is none of a field's choices reads in the project's words, not zod's.
          expect(message).not.toMatch(/Invalid (discriminator|option)|expected one of/);
          for (const text of c.names) expect(message, `${c.name}: the error should name ${text}`).toContain(text);
        });
      }
    });
  }
});
